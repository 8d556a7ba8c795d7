from pathlib import Path

PARAGRAPH = ("Gradient descent takes small steps downhill on the loss surface. " * 12).strip()


def make(site: Path) -> None:
    posts = site / "content" / "posts"
    posts.mkdir(parents=True)
    parts = ["---\ntitle: Huge\ndate: 2024-01-01\n---\n"]
    size, section = 0, 0
    while size < 20 * 2**20:
        section += 1
        block = f"## Section {section}\n\n" + (PARAGRAPH + "\n\n") * 20
        parts.append(block)
        size += len(block)
    (posts / "huge.md").write_text("".join(parts), encoding="utf-8")
