//! Layers: decoded spans in place, offsets mapped back, depth and selection.

use super::*;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

fn keyword(t: &[u8]) -> bool {
    memchr::memmem::find(&t.to_ascii_lowercase(), b"akid").is_some()
}

#[test]
fn base64_value_is_decoded_in_place_and_maps_to_its_span() {
    let id = "AKIDq3Wm8Rt2Yh6Kp9Lz4Xc7Vb1Nd5Fg0Sj1";
    let b64 = STANDARD.encode(id);
    let text = format!("a: 1\nid: {b64}\nb: 2\n");
    let layers = layers(text.as_bytes(), 3, true, keyword);
    assert_eq!(layers.len(), 1);
    let l = &layers[0];
    let view = std::str::from_utf8(l.text()).unwrap();
    assert_eq!(view, format!("a: 1\nid: {id}\nb: 2\n"));
    let at = view.find(id).unwrap();
    let m = l.map(at..at + id.len());
    let span = text.find(&b64).unwrap();
    assert_eq!(m.range, span..span + b64.len());
    assert_eq!(m.chain, vec![Encoding::Base64]);
    assert!(!l.is_literal(&(at..at + id.len())));
    // Copied bytes map exactly.
    assert_eq!(l.map(0..4).range, 0..4);
    assert!(l.is_literal(&(0..4)));
    assert!(l.map(0..4).chain.is_empty());
}

#[test]
fn neighbour_without_keyword_is_decoded_too() {
    let id = STANDARD.encode("AKIDq3Wm8Rt2Yh6Kp9Lz4Xc7Vb1Nd5Fg0Sj1");
    let key = STANDARD.encode("Zx81kQp0Lm2Nb7Vc4Xs9Ad3Fg6Hj5Kl0");
    let far = STANDARD.encode("Zx81kQp0Lm2Nb7Vc4Xs9Ad3Fg6Hj5Kl0 far away");
    let filler = "x\n".repeat(40);
    let text = format!("data:\n  ID: {id}\n  KEY: {key}\n{filler}  OTHER: {far}\n");
    let layers = layers(text.as_bytes(), 3, true, keyword);
    let view = std::str::from_utf8(layers[0].text()).unwrap();
    assert!(
        view.contains("KEY: Zx81kQp0Lm2Nb7Vc4Xs9Ad3Fg6Hj5Kl0\n"),
        "{view}"
    );
    assert!(!view.contains("far away"), "{view}");
    assert_eq!(layers[0].fresh().count(), 2);
}

#[test]
fn nested_decoding_stops_at_depth_and_chains_outer_first() {
    let inner = r#"{"cfg": "SecretId\u003dAKIDq3Wm8Rt2Yh6Kp9Lz4Xc7Vb1Nd5Fg0Sj1"}"#;
    let text = format!("blob = \"{}\"\n", STANDARD.encode(inner));
    assert!(layers(text.as_bytes(), 0, true, keyword).is_empty());
    assert_eq!(layers(text.as_bytes(), 1, true, keyword).len(), 1);
    let ls = layers(text.as_bytes(), 3, true, keyword);
    assert_eq!(ls.len(), 2);
    let view = std::str::from_utf8(ls[1].text()).unwrap();
    let at = view.find("AKID").unwrap();
    let r = at..at + 36;
    let m1 = ls[1].map(r);
    assert_eq!(m1.chain, vec![Encoding::Escape]);
    let m0 = ls[0].map(m1.range);
    assert_eq!(m0.chain, vec![Encoding::Base64]);
    let span = text.find('"').unwrap() + 1;
    assert_eq!(m0.range.start, span);
}

#[test]
fn percent_map_is_exact_for_copied_bytes() {
    let text = b"q=SecretId%3DAKIDq3Wm8Rt2Yh6Kp9Lz4Xc7Vb1Nd5Fg0Sj1%26x%3D1 end";
    let ls = layers(text, 1, true, keyword);
    let view = ls[0].text();
    let at = memchr::memmem::find(view, b"AKID").unwrap();
    let r = at..at + 36;
    assert!(ls[0].is_literal(&r));
    let m = ls[0].map(r);
    assert_eq!(&text[m.range], b"AKIDq3Wm8Rt2Yh6Kp9Lz4Xc7Vb1Nd5Fg0Sj1");
    assert_eq!(m.chain, vec![Encoding::Percent]);
}

#[test]
fn decoded_output_is_bounded() {
    let line = format!(
        "k: {}\n",
        STANDARD.encode("AKID and enough text to be decoded here")
    );
    let text = line.repeat(200_000);
    let ls = layers(text.as_bytes(), 3, true, keyword);
    let decoded: usize = ls.iter().map(|l| l.text().len()).sum();
    assert!(decoded <= 2 * text.len() + budget(text.len()), "{decoded}");
    assert!(budget(usize::MAX / 4) <= 64 << 20);
}

#[test]
fn text_without_keywords_builds_no_layer() {
    let text = format!(
        "x: {}\n",
        STANDARD.encode("plain words, nothing to see in them")
    );
    assert!(layers(text.as_bytes(), 3, true, keyword).is_empty());
}

#[test]
fn escaped_slashes_inside_base64_are_undone_before_decoding_it() {
    // PHP's json_encode writes `/` as `\/`, splitting the base64 run.
    let mut doc = String::from("SecretId: AKIDq3Wm8Rt2Yh6Kp9Lz4Xc7Vb1Nd5Fg0Sj1 ");
    let mut b64 = STANDARD.encode(&doc);
    while !b64.contains('/') {
        doc.push('?');
        b64 = STANDARD.encode(&doc);
    }
    let text = format!("{{\"cfg\": \"{}\"}}\n", b64.replace('/', "\\/"));
    let ls = layers(text.as_bytes(), 3, true, keyword);
    assert_eq!(ls.len(), 2, "{text}");
    let view = std::str::from_utf8(ls[1].text()).unwrap();
    assert!(view.contains(doc.trim_end_matches('?')), "{view}");
    let at = view.find("AKID").unwrap();
    let m1 = ls[1].map(at..at + 36);
    assert_eq!(m1.chain, vec![Encoding::Base64]);
    assert_eq!(ls[0].map(m1.range).chain, vec![Encoding::Escape]);
}

#[test]
fn lone_value_is_decoded_beside_a_plain_keyword_and_nowhere_else() {
    let key = STANDARD.encode("Zx81kQp0Lm2Nb7Vc4Xs9Ad3Fg6Hj5Kl0");
    let id = "AKIDq3Wm8Rt2Yh6Kp9Lz4Xc7Vb1Nd5Fg0Sj1";
    let text = format!("secret_id: {id}\nsecret_key: {key}\n");
    let ls = layers(text.as_bytes(), 3, true, keyword);
    assert_eq!(ls.len(), 1);
    let view = std::str::from_utf8(ls[0].text()).unwrap();
    assert!(
        view.contains("secret_key: Zx81kQp0Lm2Nb7Vc4Xs9Ad3Fg6Hj5Kl0"),
        "{view}"
    );
    let filler = "x\n".repeat(40);
    let far = format!("secret_id: {id}\n{filler}secret_key: {key}\n");
    assert!(layers(far.as_bytes(), 3, true, keyword).is_empty());
    let sentence = STANDARD.encode("not a key but words, with blanks in between");
    let near = format!("secret_id: {id}\nnote: {sentence}\n");
    assert!(layers(near.as_bytes(), 3, true, keyword).is_empty());
}
