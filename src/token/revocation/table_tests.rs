use std::collections::HashMap;

use proptest::prelude::*;

use super::*;

fn entry(state: JtiState, secs: u32) -> JtiEntry {
    JtiEntry::new(state, UnixTime::from_nanos(u64::from(secs) * NANOS))
}

#[test]
fn an_entry_keeps_its_state_and_at_most_a_second_more() {
    for nanos in [0, 1, 999_999_999, NANOS, 1_800_000_000_123_456_789] {
        for state in [JtiState::Consumed, JtiState::Revoked] {
            let kept = JtiEntry::new(state, UnixTime::from_nanos(nanos));
            assert_eq!(kept.state(), state);
            let until = kept.until().as_nanos();
            assert!(until >= nanos && until < nanos + NANOS, "{nanos}: {until}");
        }
    }
    // From February 2106 on, "until" means forever.
    for nanos in [u64::from(u32::MAX) * NANOS - 1, u64::MAX - 1, u64::MAX] {
        let kept = JtiEntry::new(JtiState::Revoked, UnixTime::from_nanos(nanos));
        assert_eq!(kept.until().as_nanos(), u64::MAX);
    }
}

#[test]
fn digests_differing_only_in_the_state_bit_or_zero_are_one_id() {
    let mut table = JtiTable::default();
    table.insert(0, entry(JtiState::Consumed, 5));
    for digest in [0, 1, 2, 3] {
        assert!(table.contains(digest), "{digest}");
    }
    assert!(!table.contains(4));
    table.insert(3, entry(JtiState::Revoked, 9));
    assert_eq!(table.len(), 1);
    assert_eq!(table.get(1), Some(entry(JtiState::Revoked, 9)));
}

#[test]
fn ids_sharing_a_home_line_probe_past_full_lines() {
    // Equal low bits: one home line at every table size, so the ids spill over
    // five lines and a lookup must walk past full ones.
    let id = |i: u32| u64::from(i + 1) << 40;
    let mut table = JtiTable::default();
    for i in 0..40 {
        table.insert(id(i), entry(JtiState::Revoked, 100 + i));
    }
    assert_eq!(table.len(), 40);
    for i in 0..40 {
        assert_eq!(table.get(id(i)), Some(entry(JtiState::Revoked, 100 + i)));
    }
    assert!(!table.contains(id(40)));
    // Dropping the early ones leaves holes where the later ones' probes passed.
    table.retain(|e| e.until() > UnixTime::from_nanos(110 * NANOS));
    assert_eq!(table.len(), 29);
    for i in 0..40 {
        assert_eq!(table.contains(id(i)), i >= 11, "{i}");
    }
}

#[derive(Clone, Debug)]
enum Op {
    Insert { id: u8, consumed: bool, secs: u32 },
    Retain { after: u32 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..IDS, any::<bool>(), 0..100u32)
            .prop_map(|(id, consumed, secs)| Op::Insert { id, consumed, secs }),
        1 => (0..100u32).prop_map(|after| Op::Retain { after }),
    ]
}

/// The ids the operations draw from: enough to fill several lines.
const IDS: u8 = 64;

/// Digests with four distinct low parts, so a small table's ids share a few
/// home lines and spill over into the next ones, and scattered top bits, so
/// their summary bits differ.
fn digest(id: u8) -> u64 {
    u64::from(id) << 40 | u64::from(id % 4) << 1 | u64::from(id).wrapping_mul(0x9E37) << 50
}

proptest! {
    #[test]
    fn the_table_answers_as_a_hash_map_does(ops in proptest::collection::vec(op(), 1..200)) {
        let mut table = JtiTable::default();
        let mut model: HashMap<u8, JtiEntry> = HashMap::new();
        for op in ops {
            match op {
                Op::Insert { id, consumed, secs } => {
                    let state = if consumed { JtiState::Consumed } else { JtiState::Revoked };
                    table.insert(digest(id), entry(state, secs));
                    model.insert(id, entry(state, secs));
                }
                Op::Retain { after } => {
                    let keep = |e: JtiEntry| e.until() > UnixTime::from_nanos(u64::from(after) * NANOS);
                    table.retain(keep);
                    model.retain(|_, e| keep(*e));
                }
            }
            prop_assert_eq!(table.len(), model.len());
            prop_assert_eq!(table.is_empty(), model.is_empty());
            prop_assert!(table.len() * 4 <= table.lines.len() * SLOTS * 3);
            for line in &table.lines {
                let used = line.0.iter().take_while(|&&word| word != 0).count();
                prop_assert!(line.0[used..].iter().all(|&word| word == 0), "{:?}", line);
            }
            for id in 0..IDS {
                prop_assert_eq!(table.get(digest(id)), model.get(&id).copied());
                prop_assert_eq!(table.contains(digest(id)), model.contains_key(&id));
            }
            let mut values: Vec<_> = table.values().map(|e| (e.until_secs, e.state == JtiState::Consumed)).collect();
            let mut expected: Vec<_> = model.values().map(|e| (e.until_secs, e.state == JtiState::Consumed)).collect();
            values.sort_unstable();
            expected.sort_unstable();
            prop_assert_eq!(values, expected);
        }
    }
}
