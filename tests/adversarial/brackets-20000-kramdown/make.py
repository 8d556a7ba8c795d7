from pathlib import Path


def make(site: Path) -> None:
    posts = site / "content" / "posts"
    posts.mkdir(parents=True)
    (posts / "brackets.md").write_text(
        "---\ntitle: Brackets\n---\n" + "[" * 20000 + "\n", encoding="utf-8"
    )
