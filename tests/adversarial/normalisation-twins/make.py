from pathlib import Path


def make(site: Path) -> None:
    posts = site / "content" / "posts"
    posts.mkdir(parents=True)
    for name in ("caf\u00e9.md", "cafe\u0301.md"):
        (posts / name).write_text("---\ntitle: Cafe\n---\nok\n", encoding="utf-8")
