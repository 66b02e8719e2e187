//! What an account password must be: long enough, not one of the passwords every attacker tries
//! first, and not the account's own address. Used wherever an account password is set (the
//! invitation and reset pages, `bote user add`).

use super::password::{MAX_LEN, MIN_LEN};

/// Words and patterns at the top of every leaked-password list (German and English), compared
/// after lower-casing and removing digits and punctuation at either end.
const COMMON_STEMS: &[&str] = &[
    "password",
    "passwort",
    "kennwort",
    "qwerty",
    "qwertz",
    "qwertzuiop",
    "qwertyuiop",
    "asdfgh",
    "asdfghjkl",
    "yxcvbnm",
    "zxcvbnm",
    "letmein",
    "welcome",
    "willkommen",
    "iloveyou",
    "ichliebedich",
    "admin",
    "administrator",
    "root",
    "login",
    "master",
    "monkey",
    "dragon",
    "football",
    "fussball",
    "baseball",
    "sunshine",
    "princess",
    "starwars",
    "superman",
    "batman",
    "trustno",
    "shadow",
    "michael",
    "hallo",
    "hallohallo",
    "sommer",
    "winter",
    "fruehling",
    "herbst",
    "geheim",
    "test",
    "testtest",
    "changeme",
    "secret",
    "default",
    "abc",
    "abcdef",
    "abcdefgh",
    "abcdefghijkl",
    "schalke",
    "bayern",
    "borussia",
    "hamburg",
    "berlin",
    "muenchen",
    "deutschland",
    "germany",
    "rathaus",
    "stadtverwaltung",
    "gemeinde",
    "verwaltung",
    "bote",
];

/// Runs of keys or digits that make up many "long" passwords.
const SEQUENCES: &[&str] = &[
    "0123456789",
    "9876543210",
    "abcdefghijklmnopqrstuvwxyz",
    "qwertzuiopasdfghjklyxcvbnm",
    "qwertyuiopasdfghjklzxcvbnm",
];

/// The catalogue key of the first rule the password breaks, if any.
pub fn check(password: &str, email: &str) -> Result<(), &'static str> {
    if password.chars().count() < MIN_LEN {
        return Err("error.password_short");
    }
    if password.len() > MAX_LEN {
        return Err("error.password_long");
    }
    if is_common(password) {
        return Err("error.password_common");
    }
    let lower = password.to_lowercase();
    let local = email.split('@').next().unwrap_or_default().to_lowercase();
    if local.chars().count() >= 4 && lower.contains(&local) {
        return Err("error.password_contains_address");
    }
    Ok(())
}

/// Whether a password is one of those attackers try first: a common word with digits or
/// punctuation around it, a word repeated, few distinct characters, or a run of keys or digits.
/// Also used for link passwords.
pub fn is_common(password: &str) -> bool {
    let lower = password.to_lowercase();
    let stem = lower.trim_matches(|c: char| !c.is_alphabetic());
    if COMMON_STEMS.contains(&stem)
        || COMMON_STEMS
            .iter()
            .any(|w| !stem.is_empty() && stem.len() <= w.len() * 2 && repeats_of(stem, w))
    {
        return true;
    }
    let distinct: std::collections::HashSet<char> = lower.chars().collect();
    if distinct.len() < 5 {
        return true;
    }
    let compact: String = lower.chars().filter(|c| c.is_alphanumeric()).collect();
    SEQUENCES
        .iter()
        .any(|s| compact.len() >= 8 && is_cyclic_part(s, &compact))
}

/// Whether `text` is `word` written once or more in a row ("passwordpassword").
fn repeats_of(text: &str, word: &str) -> bool {
    !word.is_empty()
        && text.len().is_multiple_of(word.len())
        && text
            .as_bytes()
            .chunks(word.len())
            .all(|c| c == word.as_bytes())
}

/// Whether `part` is a run of `seq` that may wrap around its end ("7890123456").
fn is_cyclic_part(seq: &str, part: &str) -> bool {
    seq.repeat(part.len() / seq.len() + 2).contains(part)
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn refuses_short_common_and_own_address() {
        let email = "erika.muster@stadt.example";
        assert_eq!(check("kurz", email), Err("error.password_short"));
        assert_eq!(check("Passwort2024!", email), Err("error.password_common"));
        assert_eq!(check("123456789012", email), Err("error.password_common"));
        assert_eq!(check("7890123456789", email), Err("error.password_common"));
        assert_eq!(check("qwertzuiop12", email), Err("error.password_common"));
        assert_eq!(
            check("aaaaaaaaaaaaaaaa", email),
            Err("error.password_common")
        );
        assert_eq!(check("abababababab", email), Err("error.password_common"));
        assert_eq!(
            check("passwordpassword", email),
            Err("error.password_common")
        );
        assert_eq!(
            check("!!Willkommen123", email),
            Err("error.password_common")
        );
        assert_eq!(
            check("erika.muster-2024", email),
            Err("error.password_contains_address")
        );
        assert_eq!(check(&"x".repeat(2000), email), Err("error.password_long"));
    }

    #[test]
    fn accepts_a_passphrase() {
        assert_eq!(check("correct horse battery staple", "a@b.example"), Ok(()));
        assert_eq!(check("Rathausplatz 7 im Regen", "a@b.example"), Ok(()));
        assert_eq!(check("Gärtnerei-Lösung-42", "a@b.example"), Ok(()));
    }
}
