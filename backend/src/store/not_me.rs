//! "This wasn't me" links (`not_me_links`): one document per new-sign-in alert, under the
//! HMAC of its token (the token itself is only in the mail), naming the account and the
//! session the alert was about; used once, gone after its lifetime (TTL index).

use mongodb::{
    bson::{doc, oid::ObjectId, DateTime},
    error::Error,
};

use super::{deleted_one, Store};

/// What a redeemed link was about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotMeLink {
    pub user_id: ObjectId,
    pub session_id: String,
}

impl Store {
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "insert_not_me_link"))]
    pub async fn insert_not_me_link(
        &self,
        hash: &str,
        link: &NotMeLink,
        now: DateTime,
        expires_at: DateTime,
    ) -> Result<(), Error> {
        self.not_me_links
            .insert_one(doc! {
                "_id": hash,
                "user_id": link.user_id,
                "session_id": &link.session_id,
                "created_at": now,
                "expires_at": expires_at,
            })
            .await
            .map(|_| ())
    }

    /// Uses the link filed under `hash`, if it is live: read by `_id`, then deleted by `_id`;
    /// only the request whose delete removed it gets it, so a link works once however many
    /// press it at the same time.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "take_not_me_link"))]
    pub async fn take_not_me_link(
        &self,
        hash: &str,
        now: DateTime,
    ) -> Result<Option<NotMeLink>, Error> {
        let links = &self.not_me_links;
        let Some(found) = links.find_one(doc! { "_id": hash }).await? else {
            return Ok(None);
        };
        if !deleted_one(links, doc! { "_id": hash }).await? {
            return Ok(None);
        }
        let live = found
            .get_datetime("expires_at")
            .is_ok_and(|expires| *expires > now);
        match (
            live,
            found.get_object_id("user_id"),
            found.get_str("session_id"),
        ) {
            (true, Ok(user_id), Ok(session_id)) => Ok(Some(NotMeLink {
                user_id,
                session_id: session_id.to_owned(),
            })),
            _ => Ok(None),
        }
    }

    /// Every link of a deleted account.
    #[tracing::instrument(name = "db", skip_all, fields(db.system = "mongodb", db.operation = "delete_not_me_links_of"))]
    pub async fn delete_not_me_links_of(&self, user_id: ObjectId) -> Result<(), Error> {
        super::delete_of_user(&self.not_me_links, user_id)
            .await
            .map(|_| ())
    }
}
