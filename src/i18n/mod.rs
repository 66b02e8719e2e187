//! Message catalogues (German, English) and choosing the language of a request.
//!
//! Catalogues are `key = value` lines in `de.txt` and `en.txt`, embedded in the binary. A unit test
//! makes sure both have exactly the same keys, so no page shows a key instead of a sentence.

use std::collections::HashMap;
use std::sync::OnceLock;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    De,
    En,
}

pub const LANG_COOKIE: &str = "bote_lang";

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::De, Lang::En];

    pub fn parse(code: &str) -> Option<Lang> {
        let code = code.trim().to_ascii_lowercase();
        let primary = code.split(['-', '_']).next().unwrap_or("");
        match primary {
            "de" => Some(Lang::De),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::De => "de",
            Lang::En => "en",
        }
    }

    /// The language's own name, for the switcher.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::De => "Deutsch",
            Lang::En => "English",
        }
    }

    /// The message for a key; a missing key shows itself (and the catalogue test fails).
    pub fn t(self, key: &str) -> &'static str {
        catalogue(self)
            .get(key)
            .map(String::as_str)
            .unwrap_or_else(|| missing(key))
    }

    /// The message with `{name}` placeholders filled in.
    pub fn tf(self, key: &str, args: &[(&str, &str)]) -> String {
        let mut text = self.t(key).to_string();
        for (name, value) in args {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }
}

fn missing(key: &str) -> &'static str {
    tracing::warn!(key, "missing translation");
    "???"
}

fn catalogue(lang: Lang) -> &'static HashMap<String, String> {
    static DE: OnceLock<HashMap<String, String>> = OnceLock::new();
    static EN: OnceLock<HashMap<String, String>> = OnceLock::new();
    match lang {
        Lang::De => DE.get_or_init(|| parse_catalogue(include_str!("de.txt"))),
        Lang::En => EN.get_or_init(|| parse_catalogue(include_str!("en.txt"))),
    }
}

fn parse_catalogue(text: &str) -> HashMap<String, String> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter_map(|line| {
            let (key, value) = line.split_once('=')?;
            Some((key.trim().to_string(), value.trim().to_string()))
        })
        .collect()
}

/// Picks a language: an explicit choice (cookie) wins, then the browser's Accept-Language in
/// order of preference, then the deployment's default.
pub fn negotiate(cookie: Option<&str>, accept_language: Option<&str>, default: Lang) -> Lang {
    if let Some(lang) = cookie.and_then(Lang::parse) {
        return lang;
    }
    if let Some(header) = accept_language {
        let mut ranges: Vec<(f32, Lang)> = header
            .split(',')
            .filter_map(|part| {
                let mut pieces = part.split(';');
                let lang = Lang::parse(pieces.next()?)?;
                let q = pieces
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .unwrap_or(1.0);
                (q > 0.0).then_some((q, lang))
            })
            .collect();
        // Stable sort keeps the header's order among equal weights.
        ranges.sort_by(|a, b| b.0.partial_cmp(&a.0).unwrap_or(std::cmp::Ordering::Equal));
        if let Some((_, lang)) = ranges.first() {
            return *lang;
        }
    }
    default
}

/// A language bound for templates: `{{ tr.get("key") }}`.
#[derive(Clone, Copy, Debug)]
pub struct Tr(pub Lang);

impl Tr {
    pub fn get(&self, key: &str) -> &'static str {
        self.0.t(key)
    }

    /// The message with `{name}` placeholders filled in.
    pub fn getf(&self, key: &str, args: &[(&str, &str)]) -> String {
        self.0.tf(key, args)
    }

    pub fn code(&self) -> &'static str {
        self.0.code()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn catalogues_have_the_same_keys() {
        let de: BTreeSet<_> = catalogue(Lang::De).keys().collect();
        let en: BTreeSet<_> = catalogue(Lang::En).keys().collect();
        let only_de: Vec<_> = de.difference(&en).collect();
        let only_en: Vec<_> = en.difference(&de).collect();
        assert!(only_de.is_empty(), "only in de.txt: {only_de:?}");
        assert!(only_en.is_empty(), "only in en.txt: {only_en:?}");
        for lang in Lang::ALL {
            for (key, value) in catalogue(lang) {
                assert!(!value.is_empty(), "{key} is empty in {lang:?}");
            }
        }
    }

    #[test]
    fn every_key_used_in_code_and_templates_exists() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut used = BTreeSet::new();
        for dir in ["src", "templates"] {
            collect_keys(&root.join(dir), &mut used);
        }
        let de = catalogue(Lang::De);
        let missing: Vec<_> = used.iter().filter(|k| !de.contains_key(*k)).collect();
        assert!(
            missing.is_empty(),
            "keys without a translation: {missing:?}"
        );
    }

    fn collect_keys(dir: &std::path::Path, out: &mut BTreeSet<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                collect_keys(&path, out);
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            for marker in ["tr.get(\"", "tr.getf(\"", ".t(\"", ".tf(\"", "msg!(\""] {
                for piece in text.split(marker).skip(1) {
                    if let Some(end) = piece.find('"') {
                        let key = &piece[..end];
                        if !key.is_empty() && key.contains('.') && !key.contains(' ') {
                            out.insert(key.to_string());
                        }
                    }
                }
            }
            // Error messages are passed around as key constants before they are shown.
            for piece in text.split("\"error.").skip(1) {
                if let Some(end) = piece.find('"') {
                    let rest = &piece[..end];
                    if !rest.is_empty()
                        && !rest.contains(' ')
                        && !rest.contains('{')
                        && rest != "html"
                    {
                        out.insert(format!("error.{rest}"));
                    }
                }
            }
        }
    }

    #[test]
    fn negotiation_prefers_cookie_then_header() {
        assert_eq!(negotiate(Some("en"), Some("de"), Lang::De), Lang::En);
        assert_eq!(
            negotiate(None, Some("fr, en-GB;q=0.8, de;q=0.5"), Lang::De),
            Lang::En
        );
        assert_eq!(negotiate(None, Some("de-AT, en;q=0.9"), Lang::En), Lang::De);
        assert_eq!(negotiate(None, Some("fr"), Lang::En), Lang::En);
        assert_eq!(negotiate(Some("xx"), None, Lang::De), Lang::De);
        assert_eq!(
            negotiate(None, Some("en;q=0, de;q=0.1"), Lang::En),
            Lang::De
        );
    }
}
