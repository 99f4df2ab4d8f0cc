//! Guide text to HTML: everything escaped, and `**bold**` the one markup the guide file may use.

/// Escapes text for HTML and turns `**bold**` pairs into `<strong>`.
///
/// The result is safe to insert unescaped: every character of the input passes through the escaper,
/// and the only tags in the output are the `<strong>` pairs added here.
pub fn rich(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let parts: Vec<&str> = text.split("**").collect();
    // An odd number of parts means every `**` has its partner; otherwise the last one is literal.
    let paired = parts.len() % 2 == 1;
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            if !paired && i == parts.len() - 1 {
                out.push_str("**");
            } else if i % 2 == 1 {
                out.push_str("<strong>");
            } else {
                out.push_str("</strong>");
            }
        }
        escape_into(&mut out, part);
    }
    out
}

/// Escapes the five HTML-significant characters.
pub fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::rich;

    #[test]
    fn bold_pairs_become_strong_and_the_rest_is_escaped() {
        assert_eq!(
            rich("read **mail.iimsnet.com** <now>"),
            "read <strong>mail.iimsnet.com</strong> &lt;now&gt;"
        );
        assert_eq!(rich("a ** b"), "a ** b");
        assert_eq!(rich("**<script>**"), "<strong>&lt;script&gt;</strong>");
    }
}
