from pathlib import Path


def make(site: Path) -> None:
    outside = site.parent / "outside"
    outside.mkdir()
    (outside / "secret.md").write_text("---\ntitle: Secret\n---\nTOP SECRET\n", encoding="utf-8")
    posts = site / "content" / "posts"
    posts.mkdir(parents=True)
    (posts / "fine.md").write_text("---\ntitle: Fine\n---\nok\n", encoding="utf-8")
    (posts / "secret.md").symlink_to(outside / "secret.md")
    (posts / "elsewhere").symlink_to(outside, target_is_directory=True)
