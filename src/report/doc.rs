//! A small document model rendered to Markdown and to HTML, so both report formats say
//! exactly the same thing.

use std::fmt::Write;

/// One block of a report.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// A heading of level 1-4.
    Heading(u8, String),
    /// A paragraph (inline `**bold**` and `` `code` `` are kept in Markdown and rendered
    /// in HTML).
    Para(String),
    /// A bulleted list.
    List(Vec<String>),
    /// A table: header and rows.
    Table(Vec<String>, Vec<Vec<String>>),
    /// An image file beside the report, with alternative text.
    Image(String, String),
}

/// A report: a title and blocks.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Doc {
    pub title: String,
    pub blocks: Vec<Block>,
    /// SVG text of image files, inlined by the HTML rendering so the page stands alone.
    pub svg: std::collections::BTreeMap<String, String>,
}

impl Doc {
    /// A document with a title.
    pub fn new(title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            blocks: Vec::new(),
            svg: std::collections::BTreeMap::new(),
        }
    }

    pub fn h(&mut self, level: u8, text: impl Into<String>) {
        self.blocks.push(Block::Heading(level, text.into()));
    }

    pub fn p(&mut self, text: impl Into<String>) {
        self.blocks.push(Block::Para(text.into()));
    }

    pub fn list(&mut self, items: Vec<String>) {
        if !items.is_empty() {
            self.blocks.push(Block::List(items));
        }
    }

    pub fn table(&mut self, header: &[&str], rows: Vec<Vec<String>>) {
        let header = header.iter().map(|s| s.to_string()).collect();
        self.blocks.push(Block::Table(header, rows));
    }

    pub fn image(&mut self, file: impl Into<String>, alt: impl Into<String>) {
        self.blocks.push(Block::Image(file.into(), alt.into()));
    }

    /// Renders GitHub-flavoured Markdown.
    pub fn to_markdown(&self) -> String {
        let mut out = format!("# {}\n", self.title);
        for b in &self.blocks {
            out.push('\n');
            match b {
                Block::Heading(l, t) => {
                    let _ = writeln!(out, "{} {}", "#".repeat(usize::from((*l).clamp(1, 6))), t);
                }
                Block::Para(t) => {
                    let _ = writeln!(out, "{t}");
                }
                Block::List(items) => {
                    for i in items {
                        let _ = writeln!(out, "- {i}");
                    }
                }
                Block::Table(h, rows) => {
                    let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
                    let _ = writeln!(
                        out,
                        "| {} |",
                        h.iter().map(|s| cell(s)).collect::<Vec<_>>().join(" | ")
                    );
                    let _ = writeln!(out, "|{}", " --- |".repeat(h.len()));
                    for r in rows {
                        let _ = writeln!(
                            out,
                            "| {} |",
                            r.iter().map(|s| cell(s)).collect::<Vec<_>>().join(" | ")
                        );
                    }
                }
                Block::Image(f, alt) => {
                    let _ = writeln!(out, "![{alt}]({f})");
                }
            }
        }
        out
    }

    /// Renders a self-contained HTML page.
    pub fn to_html(&self) -> String {
        let mut out =
            String::from("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        let _ = writeln!(out, "<title>{}</title>", esc(&self.title));
        out.push_str(
            "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em;\
             line-height:1.45}table{border-collapse:collapse;margin:1em 0}td,th{border:1px \
             solid #bbb;padding:.25em .6em;text-align:left;vertical-align:top}th{background:\
             #eee}code{background:#f4f4f4;padding:0 .2em}img,figure svg{max-width:100%;\
             height:auto}</style>\n",
        );
        out.push_str("</head>\n<body>\n");
        let _ = writeln!(out, "<h1>{}</h1>", inline(&self.title));
        for b in &self.blocks {
            match b {
                Block::Heading(l, t) => {
                    let l = (*l).clamp(1, 6);
                    let _ = writeln!(out, "<h{l}>{}</h{l}>", inline(t));
                }
                Block::Para(t) => {
                    let _ = writeln!(out, "<p>{}</p>", inline(t));
                }
                Block::List(items) => {
                    out.push_str("<ul>\n");
                    for i in items {
                        let _ = writeln!(out, "<li>{}</li>", inline(i));
                    }
                    out.push_str("</ul>\n");
                }
                Block::Table(h, rows) => {
                    out.push_str("<table>\n<tr>");
                    for c in h {
                        let _ = write!(out, "<th>{}</th>", inline(c));
                    }
                    out.push_str("</tr>\n");
                    for r in rows {
                        out.push_str("<tr>");
                        for c in r {
                            let _ = write!(out, "<td>{}</td>", inline(c));
                        }
                        out.push_str("</tr>\n");
                    }
                    out.push_str("</table>\n");
                }
                Block::Image(f, alt) => match self.svg.get(f) {
                    // Inline: the page needs no file beside it.
                    Some(svg) => {
                        let body = svg.find("<svg").map_or(svg.as_str(), |i| &svg[i..]);
                        let _ = writeln!(
                            out,
                            "<figure role=\"img\" aria-label=\"{}\">{}</figure>",
                            esc(alt),
                            body
                        );
                    }
                    None => {
                        let _ =
                            writeln!(out, "<p><img src=\"{}\" alt=\"{}\"></p>", esc(f), esc(alt));
                    }
                },
            }
        }
        out.push_str("</body>\n</html>\n");
        out
    }
}

/// Escapes text for HTML.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Escapes text and renders `**bold**`, `` `code` `` and `[text](link)`.
fn inline(s: &str) -> String {
    let e = esc(s);
    let mut out = String::new();
    let mut bold = false;
    let mut code = false;
    let mut rest = e.as_str();
    while let Some(c) = rest.chars().next() {
        if rest.starts_with("**") && !code {
            out.push_str(if bold { "</strong>" } else { "<strong>" });
            bold = !bold;
            rest = &rest[2..];
            continue;
        }
        if c == '`' {
            out.push_str(if code { "</code>" } else { "<code>" });
            code = !code;
            rest = &rest[1..];
            continue;
        }
        if c == '[' && !code {
            if let Some(link) = parse_link(rest) {
                let _ = write!(out, "<a href=\"{}\">{}</a>", link.1, link.0);
                rest = &rest[link.2..];
                continue;
            }
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    if bold {
        out.push_str("</strong>");
    }
    if code {
        out.push_str("</code>");
    }
    out
}

/// `[text](target)` at the start of `s`: (text, target, bytes consumed).
fn parse_link(s: &str) -> Option<(&str, &str, usize)> {
    let close = s.find("](")?;
    let end = s[close + 2..].find(')')? + close + 2;
    let text = &s[1..close];
    let target = &s[close + 2..end];
    if text.contains('[') || target.contains(' ') {
        return None;
    }
    Some((text, target, end + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_and_html_carry_the_same_table() {
        let mut d = Doc::new("T");
        d.table(&["a", "b"], vec![vec!["1".into(), "x|y".into()]]);
        assert!(d.to_markdown().contains("| 1 | x\\|y |"));
        assert!(d.to_html().contains("<td>1</td><td>x|y</td>"));
    }

    #[test]
    fn html_escapes_and_renders_inline_marks() {
        assert_eq!(
            inline("**a** < `b`"),
            "<strong>a</strong> &lt; <code>b</code>"
        );
        assert_eq!(
            inline("see [r](x/report.md)"),
            "see <a href=\"x/report.md\">r</a>"
        );
    }
}
