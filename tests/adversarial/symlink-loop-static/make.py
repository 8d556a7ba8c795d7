from pathlib import Path


def make(site: Path) -> None:
    (site / "content").mkdir(parents=True)
    (site / "content" / "fine.md").write_text("---\ntitle: Fine\n---\nok\n", encoding="utf-8")
    (site / "static").mkdir()
    (site / "static" / "self.txt").symlink_to("self.txt")
    (site / "static" / "a").symlink_to("b", target_is_directory=True)
    (site / "static" / "b").symlink_to("a", target_is_directory=True)
