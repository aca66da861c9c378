//! The booking state machine, in one place: which party may take which
//! action from which state, and where it leads.
//!
//! | action   | who                  | from                        | to          |
//! |----------|----------------------|-----------------------------|-------------|
//! | start    | provider             | confirmed                   | in_progress |
//! | complete | provider             | in_progress                 | completed   |
//! | cancel   | customer, provider   | confirmed                   | cancelled   |
//! | cancel   | admin                | confirmed, in_progress      | cancelled   |
//! | dispute  | customer             | completed (within the window) | disputed  |
//! | resolve  | admin                | disputed                    | completed or cancelled (the outcome) |
//!
//! The dispute window (`bookings.dispute_window_secs` after completion,
//! one dispute per booking) is a rule of time, checked by the service.
//! Anyone else may not see the booking (404); a party without the right
//! role for the action gets 403; any other transition is 409.

pub use quickfix_bookings_contract::BookingStatus as Status;

/// What someone asks to do with a booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Begin the work.
    Start,
    /// Finish the work.
    Complete,
    /// Call it off.
    Cancel,
    /// Contest a completion.
    Dispute,
    /// Settle a dispute with this outcome.
    Resolve(Outcome),
}

impl Action {
    /// Every action.
    pub const ALL: [Action; 6] = [
        Action::Start,
        Action::Complete,
        Action::Cancel,
        Action::Dispute,
        Action::Resolve(Outcome::Completed),
        Action::Resolve(Outcome::Cancelled),
    ];
}

/// How an admin settles a dispute.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The completion stands: the booking is `completed` again.
    Completed,
    /// The work is void: the booking is `cancelled`, its ratings removed.
    Cancelled,
}

impl Outcome {
    /// The state the booking ends in.
    pub fn status(self) -> Status {
        match self {
            Outcome::Completed => Status::Completed,
            Outcome::Cancelled => Status::Cancelled,
        }
    }
}

/// Who is asking, relative to the booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    /// The booking's customer.
    Customer,
    /// The booking's provider.
    Provider,
    /// An admin (not a party).
    Admin,
    /// Anyone else.
    Outsider,
}

impl Party {
    /// Every kind of caller.
    pub const ALL: [Party; 4] = [
        Party::Customer,
        Party::Provider,
        Party::Admin,
        Party::Outsider,
    ];
}

/// Why a transition is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The caller may not see the booking (404).
    NotVisible,
    /// The caller may see it but not do this (403).
    NotAllowed,
    /// The state does not allow it (409 `invalid_transition`).
    InvalidTransition,
}

/// The state `action` by `party` leads to from `from`, or why not.
pub fn next(from: Status, action: Action, party: Party) -> Result<Status, Refusal> {
    use Action::{Cancel, Complete, Dispute, Resolve, Start};
    use Party::{Admin, Customer, Outsider, Provider};
    use Status::{Cancelled, Completed, Confirmed, Disputed, InProgress};
    let allowed = match (action, party) {
        (_, Outsider) => return Err(Refusal::NotVisible),
        (Start | Complete, Provider)
        | (Cancel, Customer | Provider | Admin)
        | (Dispute, Customer)
        | (Resolve(_), Admin) => true,
        (Start | Complete, Customer | Admin)
        | (Dispute, Provider | Admin)
        | (Resolve(_), Customer | Provider) => false,
    };
    if !allowed {
        return Err(Refusal::NotAllowed);
    }
    match (action, from, party) {
        (Start, Confirmed, _) => Ok(InProgress),
        (Complete, InProgress, _) => Ok(Completed),
        (Cancel, Confirmed, _) | (Cancel, InProgress, Admin) => Ok(Cancelled),
        (Dispute, Completed, _) => Ok(Disputed),
        (Resolve(outcome), Disputed, _) => Ok(outcome.status()),
        _ => Err(Refusal::InvalidTransition),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole table written out: every state x action x party.
    fn expected(from: Status, action: Action, party: Party) -> Result<Status, Refusal> {
        use Action::*;
        use Party::*;
        use Refusal::*;
        use Status::*;
        match (party, action, from) {
            (Outsider, _, _) => Err(NotVisible),
            (Customer | Admin, Start | Complete, _) => Err(NotAllowed),
            (Provider | Admin, Dispute, _) => Err(NotAllowed),
            (Customer | Provider, Resolve(_), _) => Err(NotAllowed),
            (Provider, Start, Confirmed) => Ok(InProgress),
            (Provider, Start, InProgress | Completed | Cancelled | Disputed) => {
                Err(InvalidTransition)
            }
            (Provider, Complete, InProgress) => Ok(Completed),
            (Provider, Complete, Confirmed | Completed | Cancelled | Disputed) => {
                Err(InvalidTransition)
            }
            (Customer | Provider, Cancel, Confirmed) => Ok(Cancelled),
            (Customer | Provider, Cancel, InProgress | Completed | Cancelled | Disputed) => {
                Err(InvalidTransition)
            }
            (Admin, Cancel, Confirmed | InProgress) => Ok(Cancelled),
            (Admin, Cancel, Completed | Cancelled | Disputed) => Err(InvalidTransition),
            (Customer, Dispute, Completed) => Ok(Disputed),
            (Customer, Dispute, Confirmed | InProgress | Cancelled | Disputed) => {
                Err(InvalidTransition)
            }
            (Admin, Resolve(Outcome::Completed), Disputed) => Ok(Completed),
            (Admin, Resolve(Outcome::Cancelled), Disputed) => Ok(Cancelled),
            (Admin, Resolve(_), Confirmed | InProgress | Completed | Cancelled) => {
                Err(InvalidTransition)
            }
        }
    }

    #[test]
    fn every_state_action_and_party_follows_the_table() {
        let mut checked = 0;
        for from in Status::ALL {
            for action in Action::ALL {
                for party in Party::ALL {
                    assert_eq!(
                        next(from, action, party),
                        expected(from, action, party),
                        "{from:?} {action:?} {party:?}"
                    );
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 5 * 6 * 4);
    }

    #[test]
    fn a_cancelled_booking_never_moves_and_a_completed_one_only_into_a_dispute() {
        for action in Action::ALL {
            for party in [Party::Customer, Party::Provider, Party::Admin] {
                assert!(next(Status::Cancelled, action, party).is_err());
                let from_completed = next(Status::Completed, action, party);
                if (action, party) == (Action::Dispute, Party::Customer) {
                    assert_eq!(from_completed, Ok(Status::Disputed));
                } else {
                    assert!(from_completed.is_err());
                }
            }
        }
    }

    #[test]
    fn names_round_trip() {
        for status in Status::ALL {
            assert_eq!(Status::parse(status.as_str()), Some(status));
        }
        assert_eq!(Status::parse("lost"), None);
    }
}
