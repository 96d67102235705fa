//! Password policy: Django's four validators, the NIST SP 800-63B-4 additions,
//! and [`Policy`], which runs them all and reports every violation.
//!
//! Verdicts, codes and messages are Django's (`django.contrib.auth.password_validation`),
//! down to the details that decide edge cases: lengths count code points,
//! user attributes are lower-cased and split on Unicode `\W+`,
//! similarity is `difflib.SequenceMatcher.quick_ratio` with the length shortcut
//! of the CVE-2021-45115 fix, and "digits" and "whitespace" are Python's
//! `str.isdigit` and `str.isspace` (tables generated from Python 3.12).

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

use unicode_normalization::UnicodeNormalization as _;

use super::PasswordError;
use super::common;
use super::unicode;

/// One reason a password is refused: a stable machine code and a message for the user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    code: Cow<'static, str>,
    message: String,
}

impl Violation {
    /// A violation with `code` (Django's where one exists) and a user-facing `message`.
    pub fn new(code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
        }
    }

    /// The machine code, e.g. `password_too_short`.
    pub fn code(&self) -> &str {
        &self.code
    }

    /// The message Django shows, e.g. "This password is too common.".
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// The user a password belongs to, as named attributes (Django reads them off
/// the user object).
///
/// Each attribute has the verbose name used in the similarity message; the four
/// attributes of Django's `User` model get its verbose names ("username",
/// "first name", "last name", "email address"), any other attribute its own name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserAttributes {
    attributes: Vec<(String, String, String)>,
}

impl UserAttributes {
    /// No attributes.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets attribute `name` to `value`, with Django's verbose name for the
    /// standard `User` fields.
    #[must_use]
    pub fn with(self, name: &str, value: &str) -> Self {
        let verbose = match name {
            "first_name" => "first name",
            "last_name" => "last name",
            "email" => "email address",
            other => other,
        };
        self.with_verbose_name(name, verbose, value)
    }

    /// Sets attribute `name` to `value`, naming it `verbose_name` in messages.
    #[must_use]
    pub fn with_verbose_name(mut self, name: &str, verbose_name: &str, value: &str) -> Self {
        self.attributes.retain(|(n, _, _)| n != name);
        self.attributes
            .push((name.to_owned(), verbose_name.to_owned(), value.to_owned()));
        self
    }

    /// The value and verbose name of `name`, if set.
    fn get(&self, name: &str) -> Option<(&str, &str)> {
        self.attributes
            .iter()
            .find(|(n, _, _)| n == name)
            .map(|(_, verbose, value)| (value.as_str(), verbose.as_str()))
    }
}

/// One rule a password must meet.
///
/// Implement it to add your own rule to a [`Policy`].
pub trait PasswordValidator: fmt::Debug + Send + Sync {
    /// The violation, if `password` breaks this rule; `user` is `None` when
    /// there is no user (Django skips user checks then).
    fn validate(&self, password: &str, user: Option<&UserAttributes>) -> Option<Violation>;

    /// The sentence Django shows next to the password field for this rule.
    fn help_text(&self) -> String;
}

/// Django's `MinimumLengthValidator`: at least `min_length` code points.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MinimumLength {
    min_length: usize,
}

impl MinimumLength {
    /// Django's default is 8.
    pub const fn new(min_length: usize) -> Self {
        Self { min_length }
    }
}

impl Default for MinimumLength {
    fn default() -> Self {
        Self::new(8)
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "character" } else { "characters" }
}

impl PasswordValidator for MinimumLength {
    fn validate(&self, password: &str, _user: Option<&UserAttributes>) -> Option<Violation> {
        (password.chars().count() < self.min_length).then(|| {
            Violation::new(
                "password_too_short",
                format!(
                    "This password is too short. It must contain at least {} {}.",
                    self.min_length,
                    plural(self.min_length)
                ),
            )
        })
    }

    fn help_text(&self) -> String {
        format!(
            "Your password must contain at least {} {}.",
            self.min_length,
            plural(self.min_length)
        )
    }
}

/// The most characters any policy lets [`MaximumLength`] allow: the hard cap
/// that keeps hashing cheap enough to survive abuse.
pub const HARD_MAX_LENGTH: usize = 1024;

/// NIST SP 800-63B-4 maximum length: at least 64 must be allowed (code
/// `password_too_long`; Django has no such rule).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MaximumLength {
    max_length: usize,
}

impl MaximumLength {
    /// `max_length` code points at most.
    ///
    /// # Errors
    /// [`PasswordError::InvalidSetting`] unless 64 <= `max_length` <= [`HARD_MAX_LENGTH`].
    pub fn new(max_length: usize) -> Result<Self, PasswordError> {
        if (64..=HARD_MAX_LENGTH).contains(&max_length) {
            Ok(Self { max_length })
        } else {
            Err(PasswordError::InvalidSetting {
                setting: "max_length",
                expected: "between 64 (NIST SP 800-63B-4) and 1024",
            })
        }
    }
}

impl Default for MaximumLength {
    /// The hard cap, [`HARD_MAX_LENGTH`].
    fn default() -> Self {
        Self {
            max_length: HARD_MAX_LENGTH,
        }
    }
}

impl PasswordValidator for MaximumLength {
    fn validate(&self, password: &str, _user: Option<&UserAttributes>) -> Option<Violation> {
        (password.chars().count() > self.max_length).then(|| {
            Violation::new(
                "password_too_long",
                format!(
                    "This password is too long. It must contain at most {} characters.",
                    self.max_length
                ),
            )
        })
    }

    fn help_text(&self) -> String {
        format!(
            "Your password can contain up to {} characters.",
            self.max_length
        )
    }
}

/// Django's `UserAttributeSimilarityValidator`.
#[derive(Clone, Debug, PartialEq)]
pub struct UserAttributeSimilarity {
    attributes: Vec<String>,
    max_similarity: f64,
}

impl UserAttributeSimilarity {
    /// Django's default attributes, in its order.
    pub const DEFAULT_USER_ATTRIBUTES: [&'static str; 4] =
        ["username", "first_name", "last_name", "email"];

    /// Checks `attributes` (in order; the first too-similar one is reported)
    /// against `max_similarity` (Django's default 0.7).
    ///
    /// # Errors
    /// [`PasswordError::InvalidSetting`] when `max_similarity` is below 0.1 (or
    /// NaN), with Django's message "max_similarity must be at least 0.1".
    pub fn new<I, S>(attributes: I, max_similarity: f64) -> Result<Self, PasswordError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        // `!(x >= 0.1)` also refuses NaN, which Django's `< 0.1` lets through
        // to a validator that could never match.
        if max_similarity
            .partial_cmp(&0.1)
            .is_none_or(std::cmp::Ordering::is_lt)
        {
            return Err(PasswordError::InvalidSetting {
                setting: "max_similarity",
                expected: "at least 0.1",
            });
        }
        Ok(Self {
            attributes: attributes.into_iter().map(Into::into).collect(),
            max_similarity,
        })
    }

    /// Whether `part` is skipped without comparing (the CVE-2021-45115 fix):
    /// a value this much shorter than the password cannot reach the threshold.
    fn exceeds_maximum_length_ratio(&self, password_len: usize, part_len: usize) -> bool {
        #[allow(clippy::cast_precision_loss)] // lengths far below 2^52
        let bound = self.max_similarity / 2.0 * password_len as f64;
        #[allow(clippy::cast_precision_loss)]
        let part = part_len as f64;
        password_len >= part_len.saturating_mul(10) && part < bound
    }
}

impl Default for UserAttributeSimilarity {
    fn default() -> Self {
        Self {
            attributes: Self::DEFAULT_USER_ATTRIBUTES
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            max_similarity: 0.7,
        }
    }
}

/// `SequenceMatcher(a, b).quick_ratio()`: 2·M / (len a + len b), M the size of
/// the multiset intersection of the characters; both inputs sorted.
fn quick_ratio(a_sorted: &[char], b_sorted: &[char]) -> f64 {
    let total = a_sorted.len().saturating_add(b_sorted.len());
    if total == 0 {
        return 1.0;
    }
    let (mut i, mut j, mut matches) = (0usize, 0usize, 0usize);
    while let (Some(x), Some(y)) = (a_sorted.get(i), b_sorted.get(j)) {
        match x.cmp(y) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                matches += 1;
                i += 1;
                j += 1;
            }
        }
    }
    #[allow(clippy::cast_precision_loss)]
    let ratio = 2.0 * matches as f64 / total as f64;
    ratio
}

fn sorted_chars(s: &str) -> Vec<char> {
    let mut chars: Vec<char> = s.chars().collect();
    chars.sort_unstable();
    chars
}

impl PasswordValidator for UserAttributeSimilarity {
    fn validate(&self, password: &str, user: Option<&UserAttributes>) -> Option<Violation> {
        let user = user?;
        let password = unicode::lower(password);
        let password_chars = sorted_chars(&password);
        for name in &self.attributes {
            let Some((value, verbose_name)) = user.get(name) else {
                continue;
            };
            if value.is_empty() {
                continue;
            }
            let value_lower = unicode::lower(value);
            let mut parts = unicode::split_non_word(&value_lower);
            parts.push(&value_lower);
            for part in parts {
                let part_chars = sorted_chars(part);
                if self.exceeds_maximum_length_ratio(password_chars.len(), part_chars.len()) {
                    continue;
                }
                if quick_ratio(&password_chars, &part_chars) >= self.max_similarity {
                    return Some(Violation::new(
                        "password_too_similar",
                        format!("The password is too similar to the {verbose_name}."),
                    ));
                }
            }
        }
        None
    }

    fn help_text(&self) -> String {
        "Your password can\u{2019}t be too similar to your other personal information.".into()
    }
}

/// Django's `CommonPasswordValidator`: `password.lower().strip()` must not be
/// on the list (Django's built-in one, or yours).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CommonPassword {
    custom: Option<HashSet<String>>,
}

impl CommonPassword {
    /// Django's built-in list ([`common`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// Your own list instead, one password per item. Like Django, each entry is
    /// stripped but not lower-cased: the list must already be lower-case.
    pub fn from_list<I, S>(passwords: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        Self {
            custom: Some(
                passwords
                    .into_iter()
                    .map(|p| unicode::strip(p.as_ref()).to_owned())
                    .collect(),
            ),
        }
    }

    fn is_listed(&self, normalised: &str) -> bool {
        match &self.custom {
            Some(list) => list.contains(normalised),
            None => common::contains(normalised),
        }
    }
}

impl PasswordValidator for CommonPassword {
    fn validate(&self, password: &str, _user: Option<&UserAttributes>) -> Option<Violation> {
        let lowered = unicode::lower(password);
        self.is_listed(unicode::strip(&lowered))
            .then(|| Violation::new("password_too_common", "This password is too common."))
    }

    fn help_text(&self) -> String {
        "Your password can\u{2019}t be a commonly used password.".into()
    }
}

/// Django's `NumericPasswordValidator`: not entirely digits (`str.isdigit`, so
/// Arabic-Indic, full-width and superscript digits count).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Numeric;

impl PasswordValidator for Numeric {
    fn validate(&self, password: &str, _user: Option<&UserAttributes>) -> Option<Violation> {
        unicode::is_all_digits(password).then(|| {
            Violation::new(
                "password_entirely_numeric",
                "This password is entirely numeric.",
            )
        })
    }

    fn help_text(&self) -> String {
        "Your password can\u{2019}t be entirely numeric.".into()
    }
}

/// NIST SP 800-63B-4 context words: the password may not contain the name of
/// the service or other words tied to it (code `password_contains_context_word`).
///
/// Comparison is on lower-cased text; words shorter than 4 characters are
/// ignored (they would refuse too much by accident).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContextWords {
    words: Vec<String>,
}

impl ContextWords {
    /// The words to refuse, e.g. the service's name and domain.
    pub fn new<I, S>(words: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        Self {
            words: words
                .into_iter()
                .map(|w| unicode::lower(unicode::strip(w.as_ref())))
                .filter(|w| w.chars().count() >= 4)
                .collect(),
        }
    }
}

impl PasswordValidator for ContextWords {
    fn validate(&self, password: &str, _user: Option<&UserAttributes>) -> Option<Violation> {
        let lowered = unicode::lower(password);
        self.words
            .iter()
            .find(|w| lowered.contains(w.as_str()))
            .map(|w| {
                Violation::new(
                    "password_contains_context_word",
                    format!(
                        "The password contains \u{201c}{w}\u{201d}, a word tied to this service."
                    ),
                )
            })
    }

    fn help_text(&self) -> String {
        "Your password can\u{2019}t contain the name of this service.".into()
    }
}

/// Validators run in order; every violation is reported, not the first.
///
/// ```
/// use portcullis::password::Policy;
///
/// let violations = Policy::production().check("12345", None);
/// let messages: Vec<&str> = violations.iter().map(|v| v.message()).collect();
/// assert_eq!(messages, [
///     "This password is too short. It must contain at least 12 characters.",
///     "This password is too common.",
///     "This password is entirely numeric.",
/// ]);
/// ```
#[derive(Debug, Default)]
pub struct Policy {
    validators: Vec<Box<dyn PasswordValidator>>,
    nfkc: bool,
}

impl Policy {
    /// A policy with no rules (Django's global default `AUTH_PASSWORD_VALIDATORS = []`).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a rule after the existing ones.
    #[must_use]
    pub fn with(mut self, validator: impl PasswordValidator + 'static) -> Self {
        self.validators.push(Box::new(validator));
        self
    }

    /// NFKC-normalises the password before every rule (NIST SP 800-63B-4 §3.1.1.2).
    /// Hash [`Policy::normalize`]'s output too, so a login matches what was set.
    #[must_use]
    pub fn with_nfkc(mut self) -> Self {
        self.nfkc = true;
        self
    }

    /// Django's `startproject` settings: similarity, minimum length 8, common, numeric.
    pub fn django() -> Self {
        Self::new()
            .with(UserAttributeSimilarity::default())
            .with(MinimumLength::default())
            .with(CommonPassword::new())
            .with(Numeric)
    }

    /// The profile to copy for a new service: Django's four with a minimum of 12.
    /// It keeps Django's exact verdicts (a Django project configured with
    /// `min_length: 12` agrees), so both services can share the policy.
    pub fn production() -> Self {
        Self::new()
            .with(UserAttributeSimilarity::default())
            .with(MinimumLength::new(12))
            .with(CommonPassword::new())
            .with(Numeric)
    }

    /// NIST SP 800-63B-4 for a password used as a single factor: NFKC, minimum
    /// 15, maximum [`HARD_MAX_LENGTH`] (at least 64 is required), the blocklist,
    /// and user-attribute similarity; no composition rules (so no numeric rule).
    /// Add the service's own words with [`Policy::with_context_words`].
    pub fn nist_800_63b4() -> Self {
        Self::new()
            .with_nfkc()
            .with(MinimumLength::new(15))
            .with(MaximumLength::default())
            .with(CommonPassword::new())
            .with(UserAttributeSimilarity::default())
    }

    /// Adds a [`ContextWords`] rule for `words` (the service's name, its domain).
    #[must_use]
    pub fn with_context_words<I, S>(self, words: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.with(ContextWords::new(words))
    }

    /// The password as the rules see it: NFKC-normalised when the policy says so.
    pub fn normalize<'a>(&self, password: &'a str) -> Cow<'a, str> {
        if self.nfkc {
            Cow::Owned(password.nfkc().collect())
        } else {
            Cow::Borrowed(password)
        }
    }

    /// Every violation, in rule order; empty when the password is acceptable.
    pub fn check(&self, password: &str, user: Option<&UserAttributes>) -> Vec<Violation> {
        let password = self.normalize(password);
        let violations: Vec<Violation> = self
            .validators
            .iter()
            .filter_map(|v| v.validate(&password, user))
            .collect();
        crate::observe::password_verdict(violations.iter().map(Violation::code));
        violations
    }

    /// The help texts of every rule, in order (Django's `password_validators_help_texts`).
    pub fn help_texts(&self) -> Vec<String> {
        self.validators.iter().map(|v| v.help_text()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(v: &[Violation]) -> Vec<&str> {
        v.iter().map(Violation::code).collect()
    }

    #[test]
    fn quick_ratio_is_order_free_and_matches_the_reference_example() {
        let user = UserAttributes::new().with("username", "john_doe");
        let v = UserAttributeSimilarity::default().validate("doejohn!", Some(&user));
        assert_eq!(
            v.unwrap().message(),
            "The password is too similar to the username."
        );
        assert_eq!(quick_ratio(&[], &[]), 1.0);
    }

    #[test]
    fn similarity_setting_below_a_tenth_is_refused_with_django_s_message() {
        let err = UserAttributeSimilarity::new(["username"], 0.09).unwrap_err();
        assert_eq!(err.to_string(), "max_similarity must be at least 0.1");
        assert!(UserAttributeSimilarity::new(["username"], f64::NAN).is_err());
        assert!(UserAttributeSimilarity::new(["username"], 0.1).is_ok());
    }

    #[test]
    fn no_user_means_no_similarity_check() {
        assert!(
            UserAttributeSimilarity::default()
                .validate("x", None)
                .is_none()
        );
    }

    #[test]
    fn custom_attributes_use_their_own_name() {
        let user = UserAttributes::new().with("nickname", "sparrowhawk");
        let v = UserAttributeSimilarity::new(["nickname"], 0.7)
            .unwrap()
            .validate("hawksparrow", Some(&user));
        assert_eq!(
            v.unwrap().message(),
            "The password is too similar to the nickname."
        );
    }

    #[test]
    fn maximum_length_bounds() {
        assert!(MaximumLength::new(63).is_err());
        assert!(MaximumLength::new(1025).is_err());
        let max = MaximumLength::new(64).unwrap();
        assert!(max.validate(&"x".repeat(64), None).is_none());
        assert_eq!(
            max.validate(&"x".repeat(65), None).unwrap().code(),
            "password_too_long"
        );
    }

    #[test]
    fn nist_profile_normalises_and_refuses_context_words() {
        let policy = Policy::nist_800_63b4().with_context_words(["Portcullis", "abc"]);
        // Full-width letters normalise to ASCII before the blocklist.
        let v = policy.check("ｐａｓｓｗｏｒｄ", None);
        assert_eq!(codes(&v), ["password_too_short", "password_too_common"]);
        let v = policy.check("my portcullis password is long", None);
        assert_eq!(codes(&v), ["password_contains_context_word"]);
        assert!(
            policy
                .check("abc is fine in a long passphrase", None)
                .is_empty()
        );
        assert!(policy.check(&"x".repeat(1025), None).len() == 1);
        // 15 digits: NIST imposes no composition rule.
        assert!(policy.check("739104628463920", None).is_empty());
    }

    #[test]
    fn custom_common_list_is_stripped_not_lowercased() {
        let v = CommonPassword::from_list([" hunter2 \n", "Secret"]);
        assert!(v.validate("  HUNTER2", None).is_some());
        assert!(v.validate("Secret", None).is_none());
        assert!(v.validate("password", None).is_none());
    }
}
