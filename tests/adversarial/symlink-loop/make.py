from pathlib import Path


def make(site: Path) -> None:
    posts = site / "content" / "posts"
    posts.mkdir(parents=True)
    (posts / "a.md").symlink_to("b.md")
    (posts / "b.md").symlink_to("a.md")
    (posts / "here").symlink_to(".", target_is_directory=True)
