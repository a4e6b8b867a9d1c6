//! The admin console: a page over the admin API (`/admin/api/…`), served at `/admin` by the
//! admin listener only. The operator signs in with an admin API key, which lives in this
//! page's memory only (a signal: never in storage, a cookie or the address), so closing or
//! reloading the tab signs out. Every destructive action asks for the account's username to be
//! typed before it runs. Korean and English (the browser's choice first, then the header's
//! button).

mod api;
mod texts;

use leptos::{prelude::*, task::spawn_local};
use serde::de::DeserializeOwned;
use shared::{
    admin::{AdminActivityList, AdminSessionList, AdminStats, AdminUser, AdminUserPage, AuditPage},
    Locale,
};

use api::{Failure, Write};
use texts::{t, Text};

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(App);
}

/// The last call's failure, if any: shown by [`ErrorLine`] in the language of the moment.
type Shown = RwSignal<Option<Failure>>;

/// `GET path` of the admin API into `into`; a failure goes to `error`.
fn fetch_into<T>(key: &str, path: String, into: RwSignal<Option<T>>, error: Shown)
where
    T: DeserializeOwned + Send + Sync + 'static,
{
    let key = key.to_owned();
    spawn_local(async move {
        match api::get::<T>(&key, &path).await {
            Ok(found) => into.set(Some(found)),
            Err(e) => error.set(Some(e)),
        }
    });
}

/// `GET path` of the admin API, once, into a new signal.
fn fetch<T>(key: &str, path: String, error: Shown) -> RwSignal<Option<T>>
where
    T: DeserializeOwned + Send + Sync + 'static,
{
    let into = RwSignal::new(None);
    fetch_into(key, path, into, error);
    into
}

/// `GET path` once: `show` draws the answer when it comes, any failure above it.
fn loaded<T, V>(
    lang: RwSignal<Locale>,
    key: &str,
    path: &str,
    show: impl Fn(T) -> V + Send + Sync + 'static,
) -> impl IntoView
where
    T: DeserializeOwned + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let error: Shown = RwSignal::new(None);
    let found = fetch::<T>(key, path.to_owned(), error);
    view! {
        <ErrorLine lang error />
        {move || found.get().map(&show)}
    }
}

#[component]
fn ErrorLine(lang: RwSignal<Locale>, error: Shown) -> impl IntoView {
    view! { <p class="error" role="alert">{move || error.get().map(|e| e.message(lang.get()))}</p> }
}

/// The first of the browser's languages the console speaks; Korean otherwise.
fn browser_locale() -> Locale {
    let navigator = window().navigator();
    let tags: Vec<String> = navigator
        .languages()
        .iter()
        .filter_map(|v| v.as_string())
        .chain(navigator.language())
        .collect();
    Locale::negotiate(tags.iter().map(String::as_str))
}

/// `2026-12-03T12:29:45.396Z` as `2026-12-03 12:29:45` (UTC, as the API gives it).
fn when(iso: &str) -> String {
    iso.get(..19).unwrap_or(iso).replacen('T', " ", 1)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tab {
    Accounts,
    Audit,
    Stats,
}

/// A destructive action waiting for its confirmation.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Danger {
    EndSessions,
    Disable,
    ResetMfa,
    Delete,
}

impl Danger {
    fn label(self) -> Text {
        match self {
            Danger::EndSessions => Text::EndSessions,
            Danger::Disable => Text::Disable,
            Danger::ResetMfa => Text::ResetMfa,
            Danger::Delete => Text::Delete,
        }
    }
}

#[component]
fn App() -> impl IntoView {
    let lang = RwSignal::new(browser_locale());
    // The page's language for the browser and assistive technology.
    Effect::new(move || {
        if let Some(html) = document().document_element() {
            let _ = html.set_attribute("lang", lang.get().tag());
        }
    });
    let key = RwSignal::new(None::<String>);
    let tab = RwSignal::new(Tab::Accounts);
    let text = move |what| t(lang.get(), what);
    let other = move || match lang.get() {
        Locale::Ko => Locale::En,
        Locale::En => Locale::Ko,
    };
    view! {
        <header>
            <h1>{move || text(Text::Title)}</h1>
            <button id="lang" on:click=move |_| lang.set(other())>
                {move || if other() == Locale::En { "English" } else { "한국어" }}
            </button>
            <Show when=move || key.get().is_some()>
                <button id="sign-out" on:click=move |_| key.set(None)>{move || text(Text::SignOut)}</button>
            </Show>
        </header>
        <main>
            <Show when=move || key.get().is_some() fallback=move || view! { <SignIn lang key /> }>
                <nav>
                    {[(Tab::Accounts, Text::Accounts), (Tab::Audit, Text::Audit), (Tab::Stats, Text::Stats)]
                        .into_iter()
                        .map(|(which, name)| view! {
                            <button aria-pressed=move || (tab.get() == which).to_string()
                                on:click=move |_| tab.set(which)>{move || text(name)}</button>
                        })
                        .collect_view()}
                </nav>
                {move || {
                    let k = key.get().unwrap_or_default();
                    match tab.get() {
                        Tab::Accounts => view! { <Accounts lang key=k /> }.into_any(),
                        Tab::Audit => view! { <Audit lang key=k /> }.into_any(),
                        Tab::Stats => view! { <Stats lang key=k /> }.into_any(),
                    }
                }}
            </Show>
        </main>
    }
}

/// The key form: the key is checked against the API before it is kept (in memory).
#[component]
fn SignIn(lang: RwSignal<Locale>, key: RwSignal<Option<String>>) -> impl IntoView {
    let typed = RwSignal::new(String::new());
    let error: Shown = RwSignal::new(None);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let candidate = typed.get().trim().to_owned();
        spawn_local(async move {
            match api::get::<AdminStats>(&candidate, "/admin/api/stats").await {
                Ok(_) => {
                    typed.set(String::new());
                    error.set(None);
                    key.set(Some(candidate));
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <form id="sign-in" on:submit=submit>
            <label>
                {move || t(lang.get(), Text::ApiKey)}
                " "
                <input id="key" type="password" autocomplete="off"
                    prop:value=move || typed.get()
                    on:input=move |ev| typed.set(event_target_value(&ev)) />
            </label>
            <button type="submit">{move || t(lang.get(), Text::SignIn)}</button>
            <ErrorLine lang error />
        </form>
    }
}

#[component]
fn Accounts(lang: RwSignal<Locale>, key: String) -> impl IntoView {
    let q = RwSignal::new(String::new());
    let page = RwSignal::new(None::<AdminUserPage>);
    let picked = RwSignal::new(None::<String>);
    let error: Shown = RwSignal::new(None);
    let search_key = key.clone();
    let search = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let path = format!("/admin/api/users?q={}", api::encode(&q.get()));
        error.set(None);
        fetch_into(&search_key, path, page, error);
    };
    let account_key = key.clone();
    view! {
        <form id="search" on:submit=search>
            <input id="q" type="search" aria-label=move || t(lang.get(), Text::SearchHint)
                prop:value=move || q.get() on:input=move |ev| q.set(event_target_value(&ev))
                placeholder=move || t(lang.get(), Text::SearchHint) />
            <button type="submit">{move || t(lang.get(), Text::Search)}</button>
        </form>
        <ErrorLine lang error />
        <div class="wide" tabindex="0">
            <table id="results">
                <thead>
                    <tr>
                        <th>{move || t(lang.get(), Text::Username)}</th><th>{move || t(lang.get(), Text::Nickname)}</th>
                        <th>{move || t(lang.get(), Text::Email)}</th><th>{move || t(lang.get(), Text::Created)}</th>
                        <th>{move || t(lang.get(), Text::Status)}</th>
                    </tr>
                </thead>
                <tbody>
                    {move || page.get().map(|page| page.users.into_iter().map(|user| {
                        let id = user.id.clone();
                        view! {
                            <tr class="pick" on:click=move |_| picked.set(Some(id.clone()))>
                                <td>{user.username}</td>
                                <td>{user.nickname}</td>
                                <td>{user.email}</td>
                                <td>{when(&user.created_at)}</td>
                                <td>{move || if user.disabled { t(lang.get(), Text::Disabled) } else { "" }}</td>
                            </tr>
                        }
                    }).collect_view())}
                </tbody>
            </table>
        </div>
        {move || picked.get().map(|id| view! { <Account lang key=account_key.clone() id /> })}
    }
}

/// One account: its profile, sessions and activity, and the actions on it.
#[component]
fn Account(lang: RwSignal<Locale>, key: String, id: String) -> impl IntoView {
    let user = RwSignal::new(None::<AdminUser>);
    let sessions = RwSignal::new(None::<AdminSessionList>);
    let activity = RwSignal::new(None::<AdminActivityList>);
    let error: Shown = RwSignal::new(None);
    let danger = RwSignal::new(None::<Danger>);
    let typed = RwSignal::new(String::new());
    let load = {
        let (key, id) = (key.clone(), id.clone());
        move || {
            let base = format!("/admin/api/users/{id}");
            error.set(None);
            fetch_into(&key, base.clone(), user, error);
            fetch_into(&key, format!("{base}/sessions"), sessions, error);
            fetch_into(&key, format!("{base}/activity?limit=20"), activity, error);
        }
    };
    load();
    let run = {
        let (key, id, load) = (key.clone(), id.clone(), load.clone());
        move |action: Danger| {
            let (key, id, load) = (key.clone(), id.clone(), load.clone());
            let disabled = user.get_untracked().is_some_and(|u| u.disabled);
            spawn_local(async move {
                let base = format!("/admin/api/users/{id}");
                let (method, path) = match action {
                    Danger::EndSessions => (Write::Delete, format!("{base}/sessions")),
                    Danger::Disable if disabled => (Write::Post, format!("{base}/enable")),
                    Danger::Disable => (Write::Post, format!("{base}/disable")),
                    Danger::ResetMfa => (Write::Post, format!("{base}/mfa/reset")),
                    Danger::Delete => (Write::Delete, base),
                };
                let done = api::send(&key, method, &path).await;
                danger.set(None);
                typed.set(String::new());
                match done {
                    Ok(()) => load(),
                    Err(e) => error.set(Some(e)),
                }
            });
        }
    };
    let username = move || user.get().map(|u| u.username).unwrap_or_default();
    let ask = move |action: Danger| {
        typed.set(String::new());
        danger.set(Some(action));
    };
    view! {
        <section id="account">
            <ErrorLine lang error />
            {move || user.get().map(|u| view! {
                <h2>{u.username.clone()} " · " {u.nickname.clone()}</h2>
                <div class="wide" tabindex="0">
                    <table>
                        <tr><th>{t(lang.get(), Text::Email)}</th><td>{u.email.clone()}</td></tr>
                        <tr><th>{t(lang.get(), Text::Created)}</th><td>{when(&u.created_at)}</td></tr>
                        <tr><th>{t(lang.get(), Text::Status)}</th>
                            <td id="status">{if u.disabled { t(lang.get(), Text::Disabled) } else { t(lang.get(), Text::Active) }}</td></tr>
                        <tr><th>"TOTP"</th><td>{if u.totp { "✓" } else { "–" }}</td></tr>
                        <tr><th>{t(lang.get(), Text::Passkeys)}</th><td>{u.passkeys.len()}</td></tr>
                        <tr><th>{t(lang.get(), Text::Sessions)}</th><td id="live">{u.live_sessions}</td></tr>
                        <tr><th>{t(lang.get(), Text::LastSignIn)}</th>
                            <td>{u.last_sign_in.map(|s| format!("{} · {} · {}", when(&s.at), s.method, s.ip)).unwrap_or_default()}</td></tr>
                    </table>
                </div>
            })}
            <div>
                {[Danger::EndSessions, Danger::Disable, Danger::ResetMfa, Danger::Delete].into_iter().map(|action| view! {
                    <button class="danger" id=format!("{action:?}").to_lowercase() on:click=move |_| ask(action)>
                        {move || if action == Danger::Disable && user.get().is_some_and(|u| u.disabled) {
                            t(lang.get(), Text::Enable)
                        } else {
                            t(lang.get(), action.label())
                        }}
                    </button>
                }).collect_view()}
            </div>
            {move || danger.get().map(|action| {
                let run = run.clone();
                view! {
                    <div class="confirm">
                        <p><label for="confirm-username">{t(lang.get(), Text::TypeUsername)} " " <b>{username()}</b></label></p>
                        <input id="confirm-username" prop:value=move || typed.get()
                            on:input=move |ev| typed.set(event_target_value(&ev)) />
                        <button id="confirm" class="danger" disabled=move || typed.get() != username()
                            on:click=move |_| run(action)>{t(lang.get(), Text::Confirm)}</button>
                        <button on:click=move |_| danger.set(None)>{t(lang.get(), Text::Cancel)}</button>
                    </div>
                }
            })}
            <h3>{move || t(lang.get(), Text::Sessions)}</h3>
            <div class="wide" tabindex="0">
                <table id="sessions">
                    {move || sessions.get().map(|list| list.sessions.into_iter().map(|s| view! {
                        <tr><td>{when(&s.last_used_at)}</td><td>{s.ip}</td><td>{s.user_agent}</td><td>{s.method.unwrap_or_default()}</td></tr>
                    }).collect_view())}
                </table>
            </div>
            <h3>{move || t(lang.get(), Text::Activity)}</h3>
            <div class="wide" tabindex="0">
                <table>
                    {move || activity.get().map(|list| list.entries.into_iter().map(|e| view! {
                        <tr><td>{when(&e.at)}</td><td>{e.kind}</td><td>{e.actor}</td><td>{e.ip}</td></tr>
                    }).collect_view())}
                </table>
            </div>
        </section>
    }
}

#[component]
fn Audit(lang: RwSignal<Locale>, key: String) -> impl IntoView {
    loaded(
        lang,
        &key,
        "/admin/api/audit?limit=100",
        move |page: AuditPage| {
            view! {
                <div class="wide" tabindex="0">
                    <table id="audit">
                        <tr>
                            <th>{move || t(lang.get(), Text::When)}</th><th>{move || t(lang.get(), Text::Who)}</th>
                            <th>{move || t(lang.get(), Text::Action)}</th><th>{move || t(lang.get(), Text::Target)}</th>
                            <th>{move || t(lang.get(), Text::Outcome)}</th><th>{move || t(lang.get(), Text::From)}</th>
                        </tr>
                        {page.entries.into_iter().map(|e| view! {
                            <tr><td>{when(&e.at)}</td><td>{e.key_name}</td><td>{e.action}</td><td>{e.target}</td><td>{e.outcome}</td><td>{e.client}</td></tr>
                        }).collect_view()}
                    </table>
                </div>
            }
        },
    )
}

/// The numbers, and the 30-day chart of sign-ups and sign-ins, drawn in the page (SVG).
#[component]
fn Stats(lang: RwSignal<Locale>, key: String) -> impl IntoView {
    loaded(lang, &key, "/admin/api/stats", move |s: AdminStats| {
        let top = s
            .days
            .iter()
            .map(|d| d.sign_ups.max(d.sign_ins))
            .max()
            .unwrap_or(0)
            .max(1);
        let bar = |n: u64| 95.0 * n as f64 / top as f64;
        view! {
            <p id="numbers">
                {t(lang.get(), Text::Accounts)} ": " {s.accounts} " · "
                {t(lang.get(), Text::LiveSessions)} ": " {s.live_sessions}
            </p>
            <p class="legend">
                <span class="ups">"■ " {t(lang.get(), Text::SignUps)}</span>
                <span class="ins">"■ " {t(lang.get(), Text::SignIns)}</span>
            </p>
            <svg id="chart" viewBox="0 0 300 122" role="img"
                aria-label=format!("{} · {}", t(lang.get(), Text::SignUps), t(lang.get(), Text::SignIns))>
                <text x="0" y="9" class="axis">{top}</text>
                <line x1="0" y1="105.5" x2="300" y2="105.5" class="axis" />
                <text x="0" y="118" class="axis">{s.days.first().map(|d| d.day.clone())}</text>
                <text x="300" y="118" text-anchor="end" class="axis">{s.days.last().map(|d| d.day.clone())}</text>
                {s.days.iter().enumerate().map(|(i, d)| {
                    let x = i as f64 * 10.0;
                    let (up, ins) = (bar(d.sign_ups), bar(d.sign_ins));
                    view! {
                        <rect x=x + 1.0 y=105.0 - up width="4" height=up fill="#4f46e5"><title>{format!("{} {}", d.day, d.sign_ups)}</title></rect>
                        <rect x=x + 5.0 y=105.0 - ins width="4" height=ins fill="#047857"><title>{format!("{} {}", d.day, d.sign_ins)}</title></rect>
                    }
                }).collect_view()}
            </svg>
        }
    })
}
