from pathlib import Path


def make(site: Path) -> None:
    (site / "content").mkdir(parents=True)
    (site / "content" / "fine.md").write_text("---\ntitle: Fine\n---\nok\n", encoding="utf-8")
    (site / "static" / "css").mkdir(parents=True)
    (site / "static" / "css" / "real.css").write_text("body { color: red }\n", encoding="utf-8")
    (site / "static" / "css" / "alias.css").symlink_to("real.css")
