from pathlib import Path


def make(site: Path) -> None:
    posts = site / "content" / "posts"
    posts.mkdir(parents=True)
    (posts / "quotes.md").write_text(
        "---\ntitle: Quotes\n---\n" + "> " * 5000 + "deep\n", encoding="utf-8"
    )
