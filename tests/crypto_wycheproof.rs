//! Wycheproof XChaCha20-Poly1305 vectors through the crate's AEAD layer
//! (HChaCha20 from `chacha20` + ring's ChaCha20-Poly1305), with the
//! `chacha20poly1305` crate as an independent cross-check on every vector.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use portcullis::crypto::aead::{NONCE_LEN, TAG_LEN, XChaCha20Poly1305};
use portcullis::secret::SecretBytes;
use wycheproof::TestResult;
use wycheproof::aead::{TestName, TestSet};

#[test]
fn wycheproof_xchacha20_poly1305() {
    let set = TestSet::load(TestName::XChaCha20Poly1305).unwrap();
    let (mut valid, mut invalid, mut other_sizes) = (0, 0, 0);
    for group in &set.test_groups {
        for t in &group.tests {
            let id = t.tc_id;
            let aead = XChaCha20Poly1305::new(&SecretBytes::from_slice(&t.key)).unwrap();
            let mut sealed = t.ct.to_vec();
            sealed.extend_from_slice(&t.tag);
            let opened = aead
                .open_in_place(&t.nonce, &t.aad, &mut sealed)
                .map(|p| p.to_vec());

            if t.nonce.len() != NONCE_LEN || t.tag.len() != TAG_LEN {
                // Only 192-bit nonces and 128-bit tags exist in this API.
                assert_eq!(t.result, TestResult::Invalid, "tc {id}");
                assert!(opened.is_err(), "tc {id}: odd nonce/tag size accepted");
                other_sizes += 1;
                continue;
            }
            let reference = chacha20poly1305::XChaCha20Poly1305::new_from_slice(&t.key)
                .unwrap()
                .decrypt(
                    t.nonce.as_slice().try_into().unwrap(),
                    Payload {
                        msg: &[t.ct.as_slice(), t.tag.as_slice()].concat(),
                        aad: &t.aad,
                    },
                );
            match t.result {
                TestResult::Valid | TestResult::Acceptable => {
                    assert_eq!(opened.as_deref(), Ok(t.pt.as_slice()), "tc {id}");
                    assert_eq!(
                        reference.as_deref(),
                        Ok(t.pt.as_slice()),
                        "tc {id} (reference)"
                    );
                    let mut buf = t.pt.to_vec();
                    aead.seal_in_place(&t.nonce, &t.aad, &mut buf).unwrap();
                    assert_eq!(&buf[..t.ct.len()], t.ct.as_slice(), "tc {id} ciphertext");
                    assert_eq!(&buf[t.ct.len()..], t.tag.as_slice(), "tc {id} tag");
                    valid += 1;
                }
                TestResult::Invalid => {
                    assert!(opened.is_err(), "tc {id}: invalid vector accepted");
                    assert!(reference.is_err(), "tc {id}: reference accepted");
                    invalid += 1;
                }
            }
        }
    }
    assert_eq!(valid + invalid + other_sizes, set.number_of_tests);
    assert!(
        valid > 200 && invalid > 20,
        "valid {valid} invalid {invalid}"
    );
    println!(
        "wycheproof xchacha20-poly1305: {valid} valid, {invalid} invalid, {other_sizes} other sizes"
    );
}
