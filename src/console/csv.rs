//! CSV for exports, written by the `csv` crate: RFC 4180 (a header row, CRLF line ends, fields
//! quoted when they hold a quote, comma, CR or LF), UTF-8, and safe to open in a spreadsheet: a
//! cell that starts like a formula (`=`, `+`, `-`, `@`, tab or CR) is prefixed with `'` so it
//! stays text. A file starts with the UTF-8 byte order mark, so Excel reads it as UTF-8.

use std::borrow::Cow;

/// The UTF-8 byte order mark a file starts with. Excel opens a CSV file without it in the
/// system's legacy code page (a name like "Zoë" comes out as "ZoÃ«"); with it, as UTF-8.
/// LibreOffice recognises it too, and RFC 4180 readers that do not can strip three bytes.
const BOM: &str = "\u{feff}";

/// One piece of a CSV file: `records`, each field made safe. Given a `header`, the piece is the
/// start of the file: the byte order mark and the header row come first.
pub fn chunk<R, F>(
    header: Option<&[&str]>,
    records: impl IntoIterator<Item = R>,
) -> Result<Vec<u8>, ::csv::Error>
where
    R: IntoIterator<Item = F>,
    F: AsRef<str>,
{
    let start = header.map_or(Vec::new(), |_| BOM.as_bytes().to_vec());
    let mut out = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::CRLF)
        .from_writer(start);
    if let Some(header) = header {
        out.write_record(header)?;
    }
    for record in records {
        for field in record {
            out.write_field(neutralise(field.as_ref()).as_bytes())?;
        }
        // An empty record ends the one written field by field.
        out.write_record(None::<&[u8]>)?;
    }
    out.into_inner().map_err(|e| e.into_error().into())
}

/// `value`, with a `'` in front if a spreadsheet would read it as a formula.
fn neutralise(value: &str) -> Cow<'_, str> {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{value}"))
    } else {
        Cow::Borrowed(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(fields: &[&str]) -> String {
        String::from_utf8(chunk(None, [fields]).unwrap()).unwrap()
    }

    #[test]
    fn a_file_starts_with_the_byte_order_mark_and_the_header() {
        let start = chunk(Some(&["a", "b"]), [["1", "2"]]).unwrap();
        assert_eq!(String::from_utf8(start).unwrap(), "\u{feff}a,b\r\n1,2\r\n");
        let empty = chunk(Some(&["a"]), Vec::<[&str; 1]>::new()).unwrap();
        assert_eq!(String::from_utf8(empty).unwrap(), "\u{feff}a\r\n");
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
