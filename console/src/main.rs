//! The admin console: a page over the admin API (`/admin/api/…`), served at `/admin` by the
//! admin listener only. The operator signs in with an admin API key, which lives in this
//! page's memory only (a signal: never in storage, a cookie or the address), so closing or
//! reloading the tab signs out. Every destructive action asks for the account's username to be
//! typed before it runs. Korean and English.

mod api;
mod texts;

use leptos::{prelude::*, task::spawn_local};
use shared::{
    admin::{AdminActivityList, AdminSessionList, AdminStats, AdminUser, AdminUserPage, AuditPage},
    Locale,
};

use texts::{t, Text};

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(App);
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
    let lang = RwSignal::new(Locale::Ko);
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
                    <button on:click=move |_| tab.set(Tab::Accounts)>{move || text(Text::Accounts)}</button>
                    <button on:click=move |_| tab.set(Tab::Audit)>{move || text(Text::Audit)}</button>
                    <button on:click=move |_| tab.set(Tab::Stats)>{move || text(Text::Stats)}</button>
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
    let error = RwSignal::new(None::<String>);
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
                Err(e) => error.set(Some(e.message(lang.get_untracked()))),
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
            <p class="error">{move || error.get()}</p>
        </form>
    }
}

#[component]
fn Accounts(lang: RwSignal<Locale>, key: String) -> impl IntoView {
    let q = RwSignal::new(String::new());
    let page = RwSignal::new(None::<AdminUserPage>);
    let picked = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let search_key = key.clone();
    let search = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let key = search_key.clone();
        let path = format!("/admin/api/users?q={}", api::encode(&q.get()));
        spawn_local(async move {
            match api::get::<AdminUserPage>(&key, &path).await {
                Ok(found) => {
                    error.set(None);
                    page.set(Some(found));
                }
                Err(e) => error.set(Some(e.message(lang.get_untracked()))),
            }
        });
    };
    let account_key = key.clone();
    view! {
        <form id="search" on:submit=search>
            <input id="q" prop:value=move || q.get() on:input=move |ev| q.set(event_target_value(&ev))
                placeholder=move || t(lang.get(), Text::SearchHint) />
            <button type="submit">{move || t(lang.get(), Text::Search)}</button>
        </form>
        <p class="error">{move || error.get()}</p>
        <table id="results">
            <tbody>
                {move || page.get().map(|page| page.users.into_iter().map(|user| {
                    let id = user.id.clone();
                    view! {
                        <tr class="pick" on:click=move |_| picked.set(Some(id.clone()))>
                            <td>{user.username}</td>
                            <td>{user.nickname}</td>
                            <td>{user.email}</td>
                            <td>{user.created_at}</td>
                            <td>{if user.disabled { "⛔" } else { "" }}</td>
                        </tr>
                    }
                }).collect_view())}
            </tbody>
        </table>
        {move || picked.get().map(|id| view! { <Account lang key=account_key.clone() id /> })}
    }
}

/// One account: its profile, sessions and activity, and the actions on it.
#[component]
fn Account(lang: RwSignal<Locale>, key: String, id: String) -> impl IntoView {
    let user = RwSignal::new(None::<AdminUser>);
    let sessions = RwSignal::new(None::<AdminSessionList>);
    let activity = RwSignal::new(None::<AdminActivityList>);
    let error = RwSignal::new(None::<String>);
    let danger = RwSignal::new(None::<Danger>);
    let typed = RwSignal::new(String::new());
    let load = {
        let (key, id) = (key.clone(), id.clone());
        move || {
            let (key, id) = (key.clone(), id.clone());
            spawn_local(async move {
                let base = format!("/admin/api/users/{id}");
                match api::get::<AdminUser>(&key, &base).await {
                    Ok(found) => user.set(Some(found)),
                    Err(e) => error.set(Some(e.message(lang.get_untracked()))),
                }
                if let Ok(found) = api::get(&key, &format!("{base}/sessions")).await {
                    sessions.set(Some(found));
                }
                if let Ok(found) = api::get(&key, &format!("{base}/activity?limit=20")).await {
                    activity.set(Some(found));
                }
            });
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
                let done = match action {
                    Danger::EndSessions => {
                        api::send(&key, "DELETE", &format!("{base}/sessions")).await
                    }
                    Danger::Disable if disabled => {
                        api::send(&key, "POST", &format!("{base}/enable")).await
                    }
                    Danger::Disable => api::send(&key, "POST", &format!("{base}/disable")).await,
                    Danger::ResetMfa => api::send(&key, "POST", &format!("{base}/mfa/reset")).await,
                    Danger::Delete => api::send(&key, "DELETE", &base).await,
                };
                danger.set(None);
                typed.set(String::new());
                match done {
                    Ok(()) => {
                        error.set(None);
                        load();
                    }
                    Err(e) => error.set(Some(e.message(lang.get_untracked()))),
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
            <p class="error">{move || error.get()}</p>
            {move || user.get().map(|u| view! {
                <h2>{u.username.clone()} " · " {u.nickname.clone()}</h2>
                <table>
                    <tr><th>{t(lang.get(), Text::Email)}</th><td>{u.email.clone()}</td></tr>
                    <tr><th>{t(lang.get(), Text::Created)}</th><td>{u.created_at.clone()}</td></tr>
                    <tr><th>{t(lang.get(), Text::Status)}</th>
                        <td id="status">{if u.disabled { t(lang.get(), Text::Disabled) } else { t(lang.get(), Text::Active) }}</td></tr>
                    <tr><th>"TOTP"</th><td>{if u.totp { "✓" } else { "–" }}</td></tr>
                    <tr><th>{t(lang.get(), Text::Passkeys)}</th><td>{u.passkeys.len()}</td></tr>
                    <tr><th>{t(lang.get(), Text::Sessions)}</th><td id="live">{u.live_sessions}</td></tr>
                    <tr><th>{t(lang.get(), Text::LastSignIn)}</th>
                        <td>{u.last_sign_in.map(|s| format!("{} · {} · {}", s.at, s.method, s.ip)).unwrap_or_default()}</td></tr>
                </table>
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
                        <p>{t(lang.get(), Text::TypeUsername)} " " <b>{username()}</b></p>
                        <input id="confirm-username" prop:value=move || typed.get()
                            on:input=move |ev| typed.set(event_target_value(&ev)) />
                        <button id="confirm" class="danger" disabled=move || typed.get() != username()
                            on:click=move |_| run(action)>{t(lang.get(), Text::Confirm)}</button>
                        <button on:click=move |_| danger.set(None)>{t(lang.get(), Text::Cancel)}</button>
                    </div>
                }
            })}
            <h3>{move || t(lang.get(), Text::Sessions)}</h3>
            <table id="sessions">
                {move || sessions.get().map(|list| list.sessions.into_iter().map(|s| view! {
                    <tr><td>{s.last_used_at}</td><td>{s.ip}</td><td>{s.user_agent}</td><td>{s.method.unwrap_or_default()}</td></tr>
                }).collect_view())}
            </table>
            <h3>{move || t(lang.get(), Text::Activity)}</h3>
            <table>
                {move || activity.get().map(|list| list.entries.into_iter().map(|e| view! {
                    <tr><td>{e.at}</td><td>{e.kind}</td><td>{e.actor}</td><td>{e.ip}</td></tr>
                }).collect_view())}
            </table>
        </section>
    }
}

#[component]
fn Audit(lang: RwSignal<Locale>, key: String) -> impl IntoView {
    let page = RwSignal::new(None::<AuditPage>);
    let error = RwSignal::new(None::<String>);
    spawn_local(async move {
        match api::get::<AuditPage>(&key, "/admin/api/audit?limit=100").await {
            Ok(found) => page.set(Some(found)),
            Err(e) => error.set(Some(e.message(lang.get_untracked()))),
        }
    });
    view! {
        <p class="error">{move || error.get()}</p>
        <table id="audit">
            <tr>
                <th>{move || t(lang.get(), Text::When)}</th><th>{move || t(lang.get(), Text::Who)}</th>
                <th>{move || t(lang.get(), Text::Action)}</th><th>{move || t(lang.get(), Text::Target)}</th>
                <th>{move || t(lang.get(), Text::Outcome)}</th><th>{move || t(lang.get(), Text::From)}</th>
            </tr>
            {move || page.get().map(|page| page.entries.into_iter().map(|e| view! {
                <tr><td>{e.at}</td><td>{e.key_name}</td><td>{e.action}</td><td>{e.target}</td><td>{e.outcome}</td><td>{e.client}</td></tr>
            }).collect_view())}
        </table>
    }
}

/// The numbers, and the 30-day chart of sign-ups and sign-ins, drawn in the page (SVG).
#[component]
fn Stats(lang: RwSignal<Locale>, key: String) -> impl IntoView {
    let stats = RwSignal::new(None::<AdminStats>);
    let error = RwSignal::new(None::<String>);
    spawn_local(async move {
        match api::get::<AdminStats>(&key, "/admin/api/stats").await {
            Ok(found) => stats.set(Some(found)),
            Err(e) => error.set(Some(e.message(lang.get_untracked()))),
        }
    });
    view! {
        <p class="error">{move || error.get()}</p>
        {move || stats.get().map(|s| {
            let top = s.days.iter().map(|d| d.sign_ups.max(d.sign_ins)).max().unwrap_or(0).max(1) as f64;
            let bar = |n: u64| 100.0 * n as f64 / top;
            view! {
                <p id="numbers">
                    {t(lang.get(), Text::Accounts)} ": " {s.accounts} " · "
                    {t(lang.get(), Text::LiveSessions)} ": " {s.live_sessions}
                </p>
                <p class="legend">
                    <span class="ups">"■ " {t(lang.get(), Text::SignUps)}</span>
                    <span class="ins">"■ " {t(lang.get(), Text::SignIns)}</span>
                </p>
                <svg id="chart" viewBox="0 0 300 110" width="600" height="220" role="img">
                    {s.days.iter().enumerate().map(|(i, d)| {
                        let x = i as f64 * 10.0;
                        let (up, ins) = (bar(d.sign_ups), bar(d.sign_ins));
                        view! {
                            <rect x=x + 1.0 y=105.0 - up width="4" height=up fill="#4f46e5"><title>{format!("{} {}", d.day, d.sign_ups)}</title></rect>
                            <rect x=x + 5.0 y=105.0 - ins width="4" height=ins fill="#10b981"><title>{format!("{} {}", d.day, d.sign_ins)}</title></rect>
                        }
                    }).collect_view()}
                </svg>
            }
        })}
    }
}
