from pathlib import Path


def make(site: Path) -> None:
    posts = site / "content" / "posts"
    posts.mkdir(parents=True)
    (posts / "lists.md").write_text(
        "---\ntitle: Lists\n---\n" + "- " * 5000 + "x\n", encoding="utf-8"
    )
