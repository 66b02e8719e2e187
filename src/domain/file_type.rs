//! Kinds of file an upload link may be restricted to. A file is of a kind only when both its
//! content (detected from its first bytes) and its name's extension say so: a renamed program is
//! not a PDF, and a PDF called `.exe` is not accepted as one either.

/// One kind of file staff can allow, with the detected media types it covers and, for each, the
/// extensions such a file may carry.
pub struct FileType {
    pub key: &'static str,
    forms: &'static [(&'static str, &'static [&'static str])],
}

/// Office documents are ZIP (OOXML, OpenDocument) or OLE containers; when the detector sees only
/// the container, the extension decides which document it is.
const OFFICE_ZIP: &[&str] = &["docx", "xlsx", "pptx", "odt", "ods", "odp"];

pub const ALL: &[FileType] = &[
    FileType {
        key: "pdf",
        forms: &[("application/pdf", &["pdf"])],
    },
    FileType {
        key: "image",
        forms: &[
            ("image/jpeg", &["jpg", "jpeg"]),
            ("image/png", &["png"]),
            ("image/gif", &["gif"]),
            ("image/tiff", &["tif", "tiff"]),
            ("image/webp", &["webp"]),
            ("image/bmp", &["bmp"]),
            ("image/heif", &["heic", "heif"]),
            ("image/avif", &["avif"]),
        ],
    },
    FileType {
        key: "office",
        forms: &[
            ("application/msword", &["doc"]),
            (
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                &["docx"],
            ),
            ("application/vnd.ms-excel", &["xls"]),
            (
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                &["xlsx"],
            ),
            ("application/vnd.ms-powerpoint", &["ppt"]),
            (
                "application/vnd.openxmlformats-officedocument.presentationml.presentation",
                &["pptx"],
            ),
            ("application/vnd.oasis.opendocument.text", &["odt"]),
            ("application/vnd.oasis.opendocument.spreadsheet", &["ods"]),
            ("application/vnd.oasis.opendocument.presentation", &["odp"]),
            ("application/rtf", &["rtf"]),
            ("application/zip", OFFICE_ZIP),
            ("application/x-ole-storage", &["doc", "xls", "ppt"]),
        ],
    },
    FileType {
        key: "text",
        forms: &[
            ("text/plain", &["txt", "csv", "tsv", "md"]),
            ("text/xml", &["xml", "gml", "xsd"]),
        ],
    },
    FileType {
        key: "archive",
        forms: &[
            ("application/zip", &["zip"]),
            ("application/x-7z-compressed", &["7z"]),
            ("application/gzip", &["gz", "tgz"]),
            ("application/x-tar", &["tar"]),
        ],
    },
    FileType {
        key: "video",
        forms: &[
            ("video/mp4", &["mp4", "m4v"]),
            ("video/x-m4v", &["m4v"]),
            ("video/quicktime", &["mov"]),
            ("video/x-msvideo", &["avi"]),
            ("video/x-matroska", &["mkv"]),
            ("video/webm", &["webm"]),
            ("video/mpeg", &["mpg", "mpeg"]),
        ],
    },
    FileType {
        key: "audio",
        forms: &[
            ("audio/mpeg", &["mp3"]),
            ("audio/m4a", &["m4a"]),
            ("audio/x-wav", &["wav"]),
            ("audio/ogg", &["ogg", "oga"]),
            ("audio/x-flac", &["flac"]),
            ("audio/aac", &["aac"]),
            ("audio/opus", &["opus"]),
        ],
    },
];

impl FileType {
    pub fn by_key(key: &str) -> Option<&'static FileType> {
        ALL.iter().find(|t| t.key == key)
    }

    /// The catalogue key of this kind's name.
    pub fn label_key(&self) -> &'static str {
        match self.key {
            "pdf" => "filetype.pdf",
            "image" => "filetype.image",
            "office" => "filetype.office",
            "text" => "filetype.text",
            "archive" => "filetype.archive",
            "video" => "filetype.video",
            _ => "filetype.audio",
        }
    }

    /// Extensions a file of this kind may have, for the `accept` attribute of a file input.
    pub fn extensions(&self) -> impl Iterator<Item = &'static str> + '_ {
        let mut seen: Vec<&'static str> = Vec::new();
        self.forms
            .iter()
            .flat_map(|(_, e)| e.iter().copied())
            .filter(move |e| {
                let new = !seen.contains(e);
                seen.push(e);
                new
            })
    }

    /// Whether a file with this detected media type and this name is of this kind.
    pub fn matches(&self, content_type: &str, name: &str) -> bool {
        let Some(ext) = extension(name) else {
            return false;
        };
        self.forms
            .iter()
            .any(|(mime, exts)| *mime == content_type && exts.contains(&ext.as_str()))
    }
}

fn extension(name: &str) -> Option<String> {
    let (stem, ext) = name.rsplit_once('.')?;
    (!stem.is_empty() && !ext.is_empty()).then(|| ext.to_ascii_lowercase())
}

/// A list of allowed kinds as given by staff (keys, any order, duplicates ignored). An unknown
/// key is an error, not silently dropped.
pub fn parse_list<'a>(
    keys: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<&'static FileType>, String> {
    let mut out: Vec<&'static FileType> = Vec::new();
    for key in keys {
        let key = key.trim();
        if key.is_empty() {
            continue;
        }
        let t = FileType::by_key(key).ok_or_else(|| key.to_string())?;
        if !out.iter().any(|o| o.key == t.key) {
            out.push(t);
        }
    }
    Ok(out)
}

/// The kinds stored on a link (comma separated keys); unknown keys are skipped.
pub fn from_stored(stored: Option<&str>) -> Vec<&'static FileType> {
    stored
        .unwrap_or_default()
        .split(',')
        .filter_map(FileType::by_key)
        .collect()
}

/// Whether a file counts as one of `kinds` for a block list: its extension says so, or its content
/// does and it is not, by content and name together, a file of another kind (a ZIP renamed to
/// `.pdf` is an archive; a `.docx`, which is a ZIP container, is an office document).
pub fn claimed_by(kinds: &[&FileType], content_type: &str, name: &str) -> bool {
    let ext = extension(name);
    kinds.iter().any(|k| {
        let by_name = ext
            .as_deref()
            .is_some_and(|e| k.forms.iter().any(|(_, exts)| exts.contains(&e)));
        let by_content = k.forms.iter().any(|(mime, _)| *mime == content_type)
            && !ALL
                .iter()
                .any(|other| other.key != k.key && other.matches(content_type, name));
        by_name || by_content
    })
}

/// Whether a file is allowed: any file when no kinds are set, else one of the kinds must match.
pub fn allowed(kinds: &[&FileType], content_type: &str, name: &str) -> bool {
    kinds.is_empty() || kinds.iter().any(|k| k.matches(content_type, name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_and_name_must_both_fit() {
        let pdf = FileType::by_key("pdf").unwrap();
        assert!(pdf.matches("application/pdf", "Plan.PDF"));
        assert!(!pdf.matches("text/plain", "fake.pdf"));
        assert!(!pdf.matches("application/pdf", "plan.exe"));
        assert!(!pdf.matches("application/pdf", "pdf"));
        assert!(!pdf.matches("application/pdf", ".pdf"));
    }

    #[test]
    fn office_documents_detected_only_as_their_container_are_accepted_by_extension() {
        let office = FileType::by_key("office").unwrap();
        assert!(office.matches("application/zip", "Antrag.docx"));
        assert!(!office.matches("application/zip", "archive.zip"));
        assert!(office.matches("application/x-ole-storage", "alt.xls"));
    }

    #[test]
    fn no_kinds_allows_everything_and_unknown_keys_are_errors() {
        assert!(allowed(&[], "application/x-executable", "x.bin"));
        assert_eq!(parse_list(["pdf", "nope"]).err(), Some("nope".to_string()));
        let list = parse_list(["pdf", " image ", "pdf", ""]).unwrap();
        assert_eq!(
            list.iter().map(|t| t.key).collect::<Vec<_>>(),
            ["pdf", "image"]
        );
        assert!(allowed(&list, "image/png", "a.png"));
        assert!(!allowed(&list, "text/plain", "a.txt"));
        assert_eq!(from_stored(Some("pdf,image")).len(), 2);
    }

    #[test]
    fn a_block_list_catches_a_kind_by_name_or_by_disguised_content() {
        let archive = parse_list(["archive"]).unwrap();
        assert!(claimed_by(&archive, "application/zip", "daten.zip"));
        assert!(claimed_by(&archive, "text/plain", "leer.zip"), "by name");
        assert!(
            claimed_by(&archive, "application/zip", "tarnung.pdf"),
            "by content"
        );
        assert!(
            !claimed_by(&archive, "application/zip", "Antrag.docx"),
            "an office file"
        );
        assert!(!claimed_by(&archive, "application/pdf", "plan.pdf"));
        assert!(!claimed_by(&[], "application/zip", "daten.zip"));
    }

    #[test]
    fn extensions_are_listed_once() {
        let office = FileType::by_key("office").unwrap();
        let exts: Vec<_> = office.extensions().collect();
        assert_eq!(exts.iter().filter(|e| **e == "docx").count(), 1);
    }
}
