// Part 6: $template (Go html/template subset) — filled in later.
G.$template = {};
