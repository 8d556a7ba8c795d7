from pathlib import Path


def make(site: Path) -> None:
    posts = site / "content" / "posts"
    posts.mkdir(parents=True)
    body = "".join("  " * depth + "- item\n" for depth in range(5000))
    (posts / "lists.md").write_text("---\ntitle: Lists\n---\n" + body, encoding="utf-8")
