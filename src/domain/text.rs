//! Text as people type it into forms, cleaned the same way for customers and managers.

/// Multi-line plain text from a form: `\r\n` becomes `\n`, tabs stay, other control characters
/// go, and white space around it is trimmed. Length limits and their messages are the caller's.
pub fn multiline(raw: &str) -> String {
    let text: String = raw
        .replace("\r\n", "\n")
        .chars()
        .filter(|&c| c == '\n' || c == '\t' || !c.is_control())
        .collect();
    text.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_breaks_stay_and_other_control_characters_go() {
        assert_eq!(multiline(" a\r\nb\u{7} "), "a\nb");
        assert_eq!(multiline("one\r\ntwo\u{7}\tthree\r"), "one\ntwo\tthree");
        assert_eq!(multiline(" \n "), "");
    }
}
