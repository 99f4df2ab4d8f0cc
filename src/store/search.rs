//! How the queue's search compares text, the same for every backend.

/// Text as the search compares it: lowercased for all of Unicode.
pub fn fold(text: &str) -> String {
    text.to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::fold;

    #[test]
    fn folding_reaches_beyond_ascii() {
        assert_eq!(fold("ÉMILE Zoë ΣΟΦΙΑ"), "émile zoë σοφια");
        assert_eq!(fold("Émile"), fold("éMILE"));
    }
}
