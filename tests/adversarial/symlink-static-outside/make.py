from pathlib import Path


def make(site: Path) -> None:
    outside = site.parent / "outside"
    outside.mkdir()
    (outside / "key.pem").write_text("PRIVATE KEY\n", encoding="utf-8")
    (site / "content").mkdir(parents=True)
    (site / "content" / "fine.md").write_text("---\ntitle: Fine\n---\nok\n", encoding="utf-8")
    (site / "static").mkdir()
    (site / "static" / "passwd").symlink_to(outside / "key.pem")
    (site / "static" / "outside").symlink_to(outside, target_is_directory=True)
