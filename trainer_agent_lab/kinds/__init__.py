"""Task kinds as plug-ins: each kind (tables, texts, images, ...) is one folder with its cells and agents."""
