//! Gzip for what the site sends: whether a client accepts it, and a page gzipped whole with one
//! encoder per thread.
//!
//! A page is rendered into one buffer before it is sent, so it is compressed in one call, on
//! the thread that rendered it. The encoder's state (about 256 KB of window and hash tables) is
//! made once per thread and reset for each page. A streaming encoder per response, as a
//! compression layer makes, costs that state's setup on every page, and holds one per response
//! in flight: at 256 connections, tens of them at once, which was most of the server's peak
//! memory (docs/BENCHMARKS.md).

use std::cell::RefCell;

use axum::http::{HeaderMap, header};
use flate2::{Compress, Compression, Crc, FlushCompress, Status};

/// The gzip header (RFC 1952): deflate, no name or time, "fastest" compression, unknown OS.
const HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 4, 0xff];

thread_local! {
    /// This thread's encoder: raw deflate at the fastest level, reset for each page.
    static ENCODER: RefCell<Option<Compress>> = const { RefCell::new(None) };
}

/// `data` gzipped at the fastest level (on a 3-10 KB page it keeps most of the gain, as nginx's
/// default level 1 does, at a fraction of the default level's CPU); `None` if the encoder
/// failed, and the page goes as it is.
pub fn gzip(data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(HEADER.len() + data.len() / 2 + 64);
    out.extend_from_slice(&HEADER);
    ENCODER.with(|cell| {
        let mut cell = cell.borrow_mut();
        let encoder = cell.get_or_insert_with(|| Compress::new(Compression::fast(), false));
        encoder.reset();
        loop {
            let read = usize::try_from(encoder.total_in()).ok()?;
            match encoder.compress_vec(&data[read..], &mut out, FlushCompress::Finish) {
                Ok(Status::StreamEnd) => return Some(()),
                // Out of room: the encoder writes only into spare capacity.
                Ok(Status::Ok | Status::BufError) => out.reserve(out.capacity().max(1024)),
                Err(_) => return None,
            }
        }
    })?;
    let mut crc = Crc::new();
    crc.update(data);
    out.extend_from_slice(&crc.sum().to_le_bytes());
    // ISIZE: the length modulo 2^32, as the format defines it.
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    Some(out)
}

/// Whether the request's `Accept-Encoding` accepts gzip: listed with a weight above zero, or
/// not listed and `*` is.
pub fn accepts_gzip(headers: &HeaderMap) -> bool {
    let mut any = false;
    for item in headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
    {
        let mut parts = item.split(';');
        let coding = parts.next().unwrap_or("").trim();
        let accepted = !parts.any(|p| {
            p.trim()
                .strip_prefix("q=")
                .and_then(|q| q.trim().parse::<f32>().ok())
                .is_some_and(|q| q <= 0.0)
        });
        if coding.eq_ignore_ascii_case("gzip") {
            return accepted;
        }
        if coding == "*" {
            any = accepted;
        }
    }
    any
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn gunzip(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(data)
            .read_to_end(&mut out)
            .expect("a valid gzip stream");
        out
    }

    #[test]
    fn gzipped_data_decodes_to_itself_with_the_encoder_reused() {
        let page = "<p>Check your outgoing mail server settings.</p>\n".repeat(300);
        // Incompressible bytes make the output outgrow its first guess.
        let noise: Vec<u8> = (0u32..40_000)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        for data in [page.as_bytes(), &noise, b"", page.as_bytes()] {
            let gz = gzip(data).expect("gzipped");
            assert_eq!(gunzip(&gz), data);
        }
        assert!(gzip(page.as_bytes()).unwrap().len() < page.len() / 10);
    }

    #[test]
    fn gzip_is_sent_only_where_accepted() {
        let accepts = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::ACCEPT_ENCODING, value.parse().unwrap());
            accepts_gzip(&headers)
        };
        assert!(accepts("gzip"));
        assert!(accepts("br, gzip;q=0.5, deflate"));
        assert!(accepts("GZIP"));
        assert!(accepts("*"));
        assert!(!accepts("gzip;q=0"));
        assert!(!accepts("br, deflate"));
        assert!(!accepts("identity"));
        assert!(!accepts("*, gzip;q=0"));
        assert!(!accepts("br, *;q=0"));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }
}
