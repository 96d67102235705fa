//! Field encryption end to end: store an OAuth access token encrypted in a
//! table, read it back, then rotate keys, first with Fernet (the column a Django
//! service shares) and then with the sealed envelope (bound to its row).
//!
//! ```text
//! cargo run --example field_encryption
//! ```
//!
//! In a service the keys come from the environment (`MultiFernet::from_env`,
//! `SealedKeyset::from_env`); here they are generated so the example runs anywhere.

use std::collections::BTreeMap;

use portcullis::clock::UnixTime;
use portcullis::crypto::field::Encrypted;
use portcullis::crypto::{Context, CryptoError, Fernet, MultiFernet, SealedKey, SealedKeyset};
use serde::{Deserialize, Serialize};

/// A row of the `accounts` table; the token column holds ciphertext only.
#[derive(Serialize, Deserialize)]
struct Account {
    id: u64,
    provider: String,
    access_token: Encrypted<String>,
}

fn main() -> Result<(), CryptoError> {
    fernet_column()?;
    sealed_column()?;
    println!("field_encryption: done");
    Ok(())
}

/// A column shared with a Django service that uses `cryptography.fernet`.
fn fernet_column() -> Result<(), CryptoError> {
    println!("== Fernet column (readable by Python's cryptography)");
    let now = UnixTime::from_secs(1_700_000_000).unwrap_or_default();
    let after = |secs| {
        now.checked_add(std::time::Duration::from_secs(secs))
            .unwrap_or(now)
    };
    let old_key = Fernet::generate_key()?;
    let keys = MultiFernet::from_keys_text(old_key.expose_secret())?;

    let mut table: BTreeMap<u64, String> = BTreeMap::new();
    table.insert(1, keys.encrypt_at_time(b"ya29.a0-user-1-token", now)?);
    table.insert(2, keys.encrypt_at_time(b"ya29.a0-user-2-token", after(60))?);
    let stored = &table[&1];
    println!("row 1 stores {}... ({} chars)", &stored[..16], stored.len());

    let token = keys.decrypt_at_time(stored, 3600, after(10))?;
    println!("read back within the 1 h TTL: {} bytes", token.len());
    let stale = keys.decrypt_at_time(stored, 3600, after(3601));
    println!("read back after the TTL: {stale:?}");

    // Rotation: the new key goes first, the old one stays until every row is rewritten.
    let new_key = Fernet::generate_key()?;
    let rotating = MultiFernet::from_keys_text(&format!(
        "{},{}",
        new_key.expose_secret(),
        old_key.expose_secret()
    ))?;
    for token in table.values_mut() {
        *token = rotating.rotate(token)?;
    }
    let only_new = Fernet::from_key_text(new_key.expose_secret())?;
    println!(
        "after rotation the new key alone reads row 2, dated {} as before",
        only_new.extract_timestamp(&table[&2])?
    );
    Ok(())
}

/// A column only Rust services read: sealed, and bound to its row.
fn sealed_column() -> Result<(), CryptoError> {
    println!("== sealed column (XChaCha20-Poly1305, bound to table/column/row)");
    let keys = SealedKeyset::new(SealedKey::generate("2026-01")?);
    let context = |id: u64| Context::row("accounts", "access_token", &id.to_string());

    let alice = Account {
        id: 7,
        provider: "google".into(),
        access_token: Encrypted::seal(&"ya29.a0-alice".to_owned(), &keys, &context(7))?,
    };
    let row = serde_json::to_string(&alice).map_err(|_| CryptoError::Serialization)?;
    println!("stored row: {row}");

    let loaded: Account = serde_json::from_str(&row).map_err(|_| CryptoError::Serialization)?;
    let token = loaded.access_token.open(&keys, &context(loaded.id))?;
    println!(
        "{} token for account {} read back ({} chars)",
        loaded.provider,
        loaded.id,
        token.len()
    );

    // An attacker with database access copies Alice's ciphertext into their own row 8.
    let pasted = loaded.access_token.open(&keys, &context(8));
    println!("the same ciphertext pasted into row 8: {pasted:?}");

    // Rotation: a new primary key; the old one only opens until rows are resealed.
    let old = SealedKey::generate("2025-07")?;
    let old_text = old.to_text();
    let before = SealedKeyset::new(old);
    let sealed = before.seal(b"legacy token", &context(9))?;
    let now_keys = SealedKeyset::new(SealedKey::generate("2026-02")?)
        .with_key(SealedKey::from_text(old_text.expose_secret())?)?;
    if now_keys.needs_reseal(&sealed)? {
        let resealed = now_keys.reseal(&sealed, &context(9))?;
        println!(
            "row 9 resealed from key {} to key {}",
            sealed.split('.').nth(1).unwrap_or("?"),
            resealed.split('.').nth(1).unwrap_or("?")
        );
    }
    Ok(())
}
