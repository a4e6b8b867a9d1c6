//! A `User-Agent` read the way a person names their device: the browser and the system
//! ("Chrome", "macOS"). Only for telling the owner what signed in; never for a decision.

/// `(browser, system)` of `user_agent`; `None` for a part that cannot be told.
pub fn describe(user_agent: &str) -> (Option<&'static str>, Option<&'static str>) {
    (browser(user_agent), system(user_agent))
}

/// Browsers by a marker of their `User-Agent`, first match wins. Order matters: Edge and
/// Opera say "Chrome", Chrome says "Safari".
const BROWSERS: [(&str, &str); 10] = [
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("SamsungBrowser/", "Samsung Internet"),
    ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"),
    ("CriOS/", "Chrome"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
    ("curl/", "curl"),
    ("python-requests/", "Python"),
];

/// Systems by a marker of their `User-Agent`, first match wins.
const SYSTEMS: [(&str, &str); 8] = [
    ("iPhone", "iOS"),
    ("iPad", "iPadOS"),
    ("Android", "Android"),
    ("CrOS", "ChromeOS"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("Macintosh", "macOS"),
    ("Linux", "Linux"),
];

fn browser(ua: &str) -> Option<&'static str> {
    first_named(&BROWSERS, ua)
}

fn system(ua: &str) -> Option<&'static str> {
    first_named(&SYSTEMS, ua)
}

/// The name of the first `(marker, name)` of `table` whose marker `ua` contains.
fn first_named(table: &[(&str, &'static str)], ua: &str) -> Option<&'static str> {
    table
        .iter()
        .find(|(marker, _)| ua.contains(marker))
        .map(|(_, name)| *name)
}

#[cfg(test)]
mod tests {
    use super::describe;

    #[test]
    fn common_browsers_and_systems_are_named() {
        let cases = [
            ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36", (Some("Chrome"), Some("macOS"))),
            ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0", (Some("Edge"), Some("Windows"))),
            ("Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0", (Some("Firefox"), Some("Linux"))),
            ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1", (Some("Safari"), Some("iOS"))),
            ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36", (Some("Chrome"), Some("Android"))),
            ("curl/8.5.0", (Some("curl"), None)),
            ("", (None, None)),
        ];
        for (ua, expected) in cases {
            assert_eq!(describe(ua), expected, "{ua}");
        }
    }
}
