//! Encrypts link tokens at rest (XChaCha20-Poly1305) so staff can copy a link again later while
//! the database alone does not reveal any working link. Lookups use the token's hash.

use std::path::Path;

use anyhow::Context;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

#[derive(Clone)]
pub struct Sealer {
    cipher: XChaCha20Poly1305,
}

impl Sealer {
    /// The key from `BOTE_SECRET_KEY` (64 hex characters; needed when several instances share a
    /// database), else from `<data dir>/secret.key`, created with 256 random bits on first start.
    pub fn load(data_dir: &Path, configured: Option<&str>) -> anyhow::Result<Sealer> {
        let key = match configured {
            Some(hex_key) => {
                decode_key(hex_key).context("BOTE_SECRET_KEY must be 64 hex characters")?
            }
            None => {
                let path = data_dir.join("secret.key");
                match std::fs::read_to_string(&path) {
                    Ok(text) => decode_key(text.trim())
                        .with_context(|| format!("{} is damaged", path.display()))?,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                        let key = XChaCha20Poly1305::generate_key(&mut OsRng);
                        write_private(&path, &hex::encode(key))?;
                        key.to_vec()
                    }
                    Err(e) => return Err(e).context(format!("cannot read {}", path.display())),
                }
            }
        };
        let cipher = XChaCha20Poly1305::new_from_slice(&key).context("key length")?;
        Ok(Sealer { cipher })
    }

    pub fn seal(&self, plain: &str) -> String {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let sealed = self
            .cipher
            .encrypt(&nonce, plain.as_bytes())
            .expect("encryption of a short string cannot fail");
        let mut out = nonce.to_vec();
        out.extend(sealed);
        URL_SAFE_NO_PAD.encode(out)
    }

    pub fn open(&self, sealed: &str) -> Option<String> {
        let bytes = URL_SAFE_NO_PAD.decode(sealed).ok()?;
        if bytes.len() < 24 {
            return None;
        }
        let (nonce, body) = bytes.split_at(24);
        let plain = self.cipher.decrypt(XNonce::from_slice(nonce), body).ok()?;
        String::from_utf8(plain).ok()
    }
}

fn decode_key(text: &str) -> anyhow::Result<Vec<u8>> {
    let key = hex::decode(text.trim())?;
    anyhow::ensure!(key.len() == 32, "the key must be 32 bytes");
    Ok(key)
}

fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    f.write_all(text.as_bytes())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_round_trip_and_tamper() {
        let dir = tempfile::tempdir().unwrap();
        let s = Sealer::load(dir.path(), None).unwrap();
        let sealed = s.seal("token");
        assert_eq!(s.open(&sealed).as_deref(), Some("token"));
        assert_ne!(s.seal("token"), sealed, "a fresh nonce each time");
        let again = Sealer::load(dir.path(), None).unwrap();
        assert_eq!(
            again.open(&sealed).as_deref(),
            Some("token"),
            "key persists"
        );
        let mut bad = sealed.into_bytes();
        let last = bad.len() - 1;
        bad[last] = if bad[last] == b'A' { b'B' } else { b'A' };
        assert!(s.open(&String::from_utf8(bad).unwrap()).is_none());
    }
}
