//! CSV for exports: RFC 4180 (a header row, CRLF line ends, fields quoted when they hold a quote,
//! comma, CR or LF, inner quotes doubled), UTF-8, and safe to open in a spreadsheet: a cell that
//! starts like a formula (`=`, `+`, `-`, `@`, tab or CR) is prefixed with `'` so it stays text.
//! A file starts with [`BOM`], so Excel reads it as UTF-8.

/// The UTF-8 byte order mark a file starts with. Excel opens a CSV file without it in the
/// system's legacy code page (a name like "Zoë" comes out as "ZoÃ«"); with it, as UTF-8.
/// LibreOffice recognises it too, and RFC 4180 readers that do not can strip three bytes.
pub const BOM: &str = "\u{feff}";

/// Appends one record to `out`.
pub fn record<S: AsRef<str>>(out: &mut String, fields: &[S]) {
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        field_into(out, field.as_ref());
    }
    out.push_str("\r\n");
}

fn field_into(out: &mut String, value: &str) {
    let neutralise = value.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let quote = value.contains(['"', ',', '\r', '\n']);
    if quote {
        out.push('"');
    }
    if neutralise {
        out.push('\'');
    }
    if quote {
        out.push_str(&value.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(fields: &[&str]) -> String {
        let mut out = String::new();
        record(&mut out, fields);
        out
    }

    #[test]
    fn plain_fields_are_joined_with_commas_and_crlf() {
        assert_eq!(line(&["a", "b c", ""]), "a,b c,\r\n");
        assert_eq!(line(&["Zoë", "日本"]), "Zoë,日本\r\n");
    }

    #[test]
    fn quotes_commas_and_line_breaks_are_quoted() {
        assert_eq!(line(&["say \"hi\""]), "\"say \"\"hi\"\"\"\r\n");
        assert_eq!(line(&["a,b"]), "\"a,b\"\r\n");
        assert_eq!(line(&["one\ntwo", "x\r\ny"]), "\"one\ntwo\",\"x\r\ny\"\r\n");
    }

    #[test]
    fn formulas_are_neutralised() {
        assert_eq!(line(&["=1+1"]), "'=1+1\r\n");
        assert_eq!(line(&["+44 20"]), "'+44 20\r\n");
        assert_eq!(line(&["-2"]), "'-2\r\n");
        assert_eq!(line(&["@SUM(A1)"]), "'@SUM(A1)\r\n");
        assert_eq!(line(&["\tx"]), "'\tx\r\n");
        assert_eq!(line(&["\rx"]), "\"'\rx\"\r\n");
        assert_eq!(
            line(&["=HYPERLINK(\"http://x\",\"y\")"]),
            "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"\r\n"
        );
        // Only at the start.
        assert_eq!(line(&["a=b", "x-y"]), "a=b,x-y\r\n");
    }
}
