//! The names graph-node gives the query fields of an entity type: `Token` → `token` / `tokens`.
//!
//! graph-node derives them with the `Inflector` crate (0.11): `to_camel_case(T)` for the singular
//! field and `to_camel_case(to_plural(T))` for the plural one, with `_collection` appended when the
//! two coincide. Front-ends hard-code these names, so this module reproduces Inflector's rules
//! exactly, including their quirks: the rules are case-sensitive (`Person` → `persons` but
//! `person` → `people`), and a run of capitals is one word (`USDPrice` → `usdprice`).

/// The singular and plural query field names of an entity type or interface.
pub fn query_field_names(type_name: &str) -> (String, String) {
    let singular = camel_case(type_name);
    let mut plural = camel_case(&plural(type_name));
    if plural == singular {
        plural.push_str("_collection");
    }
    (singular, plural)
}

/// Inflector's `to_camel_case`: words start at separators, digits, and lowercase→uppercase
/// transitions; the first word is lowercased.
pub fn camel_case(name: &str) -> String {
    let trimmed = name.trim_end_matches(|c: char| !c.is_alphanumeric());
    let mut result = String::with_capacity(trimmed.len());
    let mut new_word = false;
    let mut found_real_char = false;
    // Inflector only updates the previous character for characters that do not start a word.
    let mut last_char = ' ';
    for c in trimmed.chars() {
        if !c.is_alphanumeric() {
            if found_real_char {
                new_word = true;
            }
        } else if c.is_numeric() {
            found_real_char = true;
            new_word = true;
            result.push(c);
        } else if new_word || (last_char.is_lowercase() && c.is_uppercase()) {
            found_real_char = true;
            new_word = false;
            result.push(c.to_ascii_uppercase());
        } else {
            found_real_char = true;
            last_char = c;
            result.push(c.to_ascii_lowercase());
        }
    }
    result
}

/// Inflector's `to_plural`: uncountable words, a few irregular words, then its suffix rules, the
/// last-declared rule first.
pub fn plural(word: &str) -> String {
    if UNCOUNTABLE.contains(&word) {
        return word.to_string();
    }
    if let Some((_, plural)) = IRREGULAR.iter().find(|(singular, _)| *singular == word) {
        return plural.to_string();
    }
    SUFFIX_RULES
        .iter()
        .find_map(|rule| rule(word))
        .unwrap_or_else(|| format!("{word}s"))
}

/// Whole words Inflector special-cases.
const IRREGULAR: &[(&str, &str)] = &[
    ("ox", "oxen"),
    ("man", "men"),
    ("woman", "women"),
    ("die", "dice"),
    ("yes", "yeses"),
    ("foot", "feet"),
    ("eave", "eaves"),
    ("goose", "geese"),
    ("tooth", "teeth"),
    ("quiz", "quizzes"),
];

type Rule = fn(&str) -> Option<String>;

/// Inflector's regular-expression rules, in the order it tries them (reverse of declaration).
/// Each regex has the form `(\w*STEM)SUFFIX$` and replaces SUFFIX; here each is a suffix match.
const SUFFIX_RULES: &[Rule] = &[
    |w| keep_if(w.ends_with("eaux"), w),
    |w| stem_of(w, &["child"], &["ren", ""]).map(|s| format!("{s}ren")),
    |w| stem_of(w, &["pe"], &["rson", "ople"]).map(|s| format!("{s}ople")),
    |w| stem_of(w, &["m", "l"], &["ice", "ouse"]).map(|s| format!("{s}ice")),
    |w| {
        stem_of(
            w,
            &["matr", "cod", "mur", "sil", "vert", "ind", "append"],
            &["ix", "ex"],
        )
        .map(|s| format!("{s}ices"))
    },
    |w| stem_of(w, &["x", "ch", "ss", "sh", "zz"], &[""]).map(|s| format!("{s}es")),
    |w| {
        keep_if(
            stem_of(w, &["x", "ch", "ss", "sh", "zz"], &["es"]).is_some(),
            w,
        )
    },
    |w| {
        let rest = w.strip_suffix("ey")?;
        let tail: Vec<char> = rest.chars().rev().take(3).collect();
        match tail.as_slice() {
            [l, v, c] if "ln".contains(*l) && "ieo".contains(*v) && !"ch".contains(*c) => {
                Some(format!("{rest}ies"))
            }
            _ => None,
        }
    },
    |w| {
        let rest = w.strip_suffix('y')?;
        let consonant = rest.chars().last().is_some_and(|c| !"aeiouy".contains(c));
        (consonant || rest.ends_with("qu")).then(|| format!("{rest}ies"))
    },
    |w| stem_of(w, &["ar", "l", "ea", "eo", "oa", "hoo"], &["f"]).map(|s| format!("{s}ves")),
    |w| stem_of(w, &["kni", "wi", "li"], &["fe"]).map(|s| format!("{s}ves")),
    |w| w.strip_suffix("sis").map(|s| format!("{s}ses")),
    |w| {
        stem_of(
            w,
            &[
                "apheli",
                "hyperbat",
                "periheli",
                "asyndet",
                "noumen",
                "phenomen",
                "criteri",
                "organ",
                "prolegomen",
                "hedr",
                "automat",
            ],
            &["a", "on"],
        )
        .map(|s| format!("{s}a"))
    },
    |w| {
        stem_of(
            w,
            &[
                "agend",
                "addend",
                "millenni",
                "dat",
                "extrem",
                "bacteri",
                "desiderat",
                "strat",
                "candelabr",
                "errat",
                "ov",
                "symposi",
                "curricul",
                "automat",
                "quor",
            ],
            &["a", "um"],
        )
        .map(|s| format!("{s}a"))
    },
    |w| stem_of(w, &["her", "at", "gr"], &["o"]).map(|s| format!("{s}oes")),
    |w| stem_of(w, &["seraph", "cherub"], &["im", ""]).map(|s| format!("{s}im")),
    |w| stem_of(w, &["alumn", "alg", "vertebr"], &["a", "ae"]).map(|s| format!("{s}ae")),
    |w| {
        stem_of(
            w,
            &[
                "alumn", "syllab", "octop", "vir", "radi", "nucle", "fung", "cact", "stimul",
                "termin", "bacill", "foc", "uter", "loc", "strat",
            ],
            &["us", "i"],
        )
        .map(|s| format!("{s}i"))
    },
    |w| {
        let keep = ends_after(w, "ias", |c| c != 'l')
            || ends_after(w, "las", |c| "aeiou".contains(c))
            || ends_after(w, "as", |c| "emjzr".contains(c))
            || ends_after(w, "am", |c| "iu".contains(c));
        keep_if(keep, w)
    },
    |w| stem_of(w, &["emu", "enu"], &["s", ""]).map(|s| format!("{s}s")),
    |w| {
        let es = ["alias", "tlas", "gas", "ris"]
            .iter()
            .any(|s| w.ends_with(s))
            || ends_after(w, "us", |c| !"aou".contains(c));
        es.then(|| format!("{w}es"))
    },
    |w| stem_of(w, &["ax", "test"], &["is"]).map(|s| format!("{s}es")),
    |w| keep_if(ends_after(w, "ese", |c| !"aeiou".contains(c)), w),
    |w| keep_if(w.ends_with('s'), w),
];

/// `word` unchanged when `keep` holds (rules whose replacement is the whole match).
fn keep_if(keep: bool, word: &str) -> Option<String> {
    keep.then(|| word.to_string())
}

/// If `word` ends with one of `stems` followed by one of `suffixes`, the word without that suffix.
fn stem_of<'w>(word: &'w str, stems: &[&str], suffixes: &[&str]) -> Option<&'w str> {
    suffixes.iter().find_map(|suffix| {
        let rest = word.strip_suffix(suffix)?;
        stems
            .iter()
            .any(|stem| rest.ends_with(stem))
            .then_some(rest)
    })
}

/// Whether `word` ends with `suffix` preceded by a character satisfying `before`.
fn ends_after(word: &str, suffix: &str, before: impl Fn(char) -> bool) -> bool {
    word.strip_suffix(suffix)
        .and_then(|rest| rest.chars().last())
        .is_some_and(before)
}

/// Inflector's uncountable words (compared case-sensitively, as Inflector does).
#[rustfmt::skip]
const UNCOUNTABLE: &[&str] = &[
    "accommodation", "adulthood", "advertising", "advice", "aggression", "aid",
    "air", "aircraft", "alcohol", "anger", "applause", "arithmetic", "assistance", "athletics",
    "bacon", "baggage", "beef", "biology", "blood", "botany", "bread", "butter", "carbon",
    "cardboard", "cash", "chalk", "chaos", "chess", "crossroads", "countryside", "dancing",
    "deer", "dignity", "dirt", "dust", "economics", "education", "electricity", "engineering",
    "enjoyment", "envy", "equipment", "ethics", "evidence", "evolution", "fame", "fiction",
    "flour", "flu", "food", "fuel", "fun", "furniture", "gallows", "garbage", "garlic",
    "genetics", "gold", "golf", "gossip", "grammar", "gratitude", "grief", "guilt", "gymnastics",
    "happiness", "hardware", "harm", "hate", "hatred", "health", "heat", "help", "homework",
    "honesty", "honey", "hospitality", "housework", "humour", "hunger", "hydrogen", "ice",
    "importance", "inflation", "information", "innocence", "iron", "irony", "jam", "jewelry",
    "judo", "karate", "knowledge", "lack", "laughter", "lava", "leather", "leisure", "lightning",
    "linguine", "linguini", "linguistics", "literature", "litter", "livestock", "logic",
    "loneliness", "luck", "luggage", "macaroni", "machinery", "magic", "management", "mankind",
    "marble", "mathematics", "mayonnaise", "measles", "methane", "milk", "money", "mud", "music",
    "mumps", "nature", "news", "nitrogen", "nonsense", "nurture", "nutrition", "obedience",
    "obesity", "oxygen", "pasta", "patience", "physics", "poetry", "pollution", "poverty",
    "pride", "psychology", "publicity", "punctuation", "quartz", "racism", "relaxation",
    "reliability", "research", "respect", "revenge", "rice", "rubbish", "rum", "safety",
    "scenery", "seafood", "seaside", "series", "shame", "sheep", "shopping", "sleep", "smoke",
    "smoking", "snow", "soap", "software", "soil", "spaghetti", "species", "steam", "stuff",
    "stupidity", "sunshine", "symmetry", "tennis", "thirst", "thunder", "timber", "traffic",
    "transportation", "trust", "underwear", "unemployment", "unity", "validity", "veal",
    "vegetation", "vegetarianism", "vengeance", "violence", "vitality", "warmth", "wealth",
    "weather", "welfare", "wheat", "wildlife", "wisdom", "yoga", "zinc", "zoology",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_field_names_follow_graph_node() {
        let cases = [
            ("Token", "token", "tokens"),
            ("Account", "account", "accounts"),
            ("Transfer", "transfer", "transfers"),
            ("BlockStat", "blockStat", "blockStats"),
            ("Memo", "memo", "memos"),
            ("Pair", "pair", "pairs"),
            ("Bump", "bump", "bumps"),
            ("Entity", "entity", "entities"),
            ("Status", "status", "statuses"),
            ("Box", "box", "boxes"),
            ("Person", "person", "persons"),
            ("TokenDayData", "tokenDayData", "tokenDayDatas"),
            // The rules are case-sensitive: `Data` is not `data`, `Hero` not `hero`.
            ("Data", "data", "datas"),
            ("Hero", "hero", "heros"),
            ("Criterion", "criterion", "criterions"),
            ("Matrix", "matrix", "matrixes"),
            ("Alias", "alias", "alias_collection"),
            ("ERC20Token", "erc20Token", "erc20Tokens"),
            ("Pool_Hour", "poolHour", "poolHours"),
            ("Bundle", "bundle", "bundles"),
            ("Swap", "swap", "swaps"),
            ("Factory", "factory", "factories"),
            ("Day", "day", "days"),
            ("Match", "match", "matches"),
            ("Analysis", "analysis", "analyses"),
            ("Leaf", "leaf", "leaves"),
            ("Menu", "menu", "menus"),
            ("News", "news", "news_collection"),
        ];
        for (type_name, singular, plural) in cases {
            assert_eq!(
                query_field_names(type_name),
                (singular.to_string(), plural.to_string()),
                "{type_name}"
            );
        }
    }

    #[test]
    fn plural_matches_inflector_examples() {
        let cases = [
            ("geometry", "geometries"),
            ("ox", "oxen"),
            ("woman", "women"),
            ("test", "tests"),
            ("axis", "axes"),
            ("knife", "knives"),
            ("agendum", "agenda"),
            ("elf", "elves"),
            ("zoology", "zoology"),
            ("box", "boxes"),
            ("boxes", "boxes"),
            ("person", "people"),
            ("child", "children"),
            ("mouse", "mice"),
            ("money", "money"),
            ("Money", "Monies"),
            ("crate", "crates"),
            ("hero", "heroes"),
            ("criterion", "criteria"),
            ("matrix", "matrices"),
            ("alias", "aliases"),
            ("status", "statuses"),
            ("menus", "menus"),
        ];
        for (singular, expected) in cases {
            assert_eq!(plural(singular), expected, "{singular}");
        }
    }
}
