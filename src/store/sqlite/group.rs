//! What running a group of jobs hands back to the writer: whether it succeeded, and how to answer
//! each job once the transaction's commit is known. The writer runs groups; the files that write
//! (visits, escalations) build them.

use tokio::sync::oneshot;

use crate::store::StoreError;

/// Answers a job once the batch's commit succeeded (`None`) or failed.
pub(super) type Answer = Box<dyn FnOnce(Option<&StoreError>) + Send>;

/// Answers `reply` with `result` once the commit is known, or with the commit's error if the
/// commit failed.
pub(super) fn after_commit<T: Send + 'static>(
    reply: oneshot::Sender<Result<T, StoreError>>,
    result: Result<T, StoreError>,
) -> Answer {
    Box::new(move |commit_error: Option<&StoreError>| {
        let result = match (result, commit_error) {
            (Ok(_), Some(e)) => Err(e.duplicate()),
            (result, _) => result,
        };
        // The caller may have gone (client disconnected); the work is done regardless.
        let _ = reply.send(result);
    })
}

/// What running a group of jobs came to.
pub(super) struct GroupDone {
    /// Whether the group's writes succeeded (else the writer undoes them).
    pub ok: bool,
    /// The failure leaves the connection unusable.
    pub reconnect: bool,
    /// How to answer each job once the commit is known.
    pub answers: Vec<Answer>,
}

impl GroupDone {
    /// The group succeeded: each job gets its result once the commit is known.
    pub(super) fn answered<T: Send + 'static>(
        replies: Vec<oneshot::Sender<Result<T, StoreError>>>,
        results: impl IntoIterator<Item = Result<T, StoreError>>,
    ) -> GroupDone {
        GroupDone {
            ok: true,
            reconnect: false,
            answers: replies
                .into_iter()
                .zip(results)
                .map(|(reply, result)| after_commit(reply, result))
                .collect(),
        }
    }

    /// The group failed with `error`, which every job gets.
    pub(super) fn failed<T: Send + 'static>(
        replies: Vec<oneshot::Sender<Result<T, StoreError>>>,
        error: &StoreError,
    ) -> GroupDone {
        GroupDone {
            ok: false,
            reconnect: error.needs_reconnect(),
            answers: replies
                .into_iter()
                .map(|reply| after_commit(reply, Err(error.duplicate())))
                .collect(),
        }
    }
}
