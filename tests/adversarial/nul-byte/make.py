from pathlib import Path


def make(site: Path) -> None:
    posts = site / "content" / "posts"
    posts.mkdir(parents=True)
    (posts / "binary.md").write_bytes(b"---\ntitle: Binary\n---\nbefore\x00after\n")
