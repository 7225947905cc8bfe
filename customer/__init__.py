"""The simulated customer: a state machine plus interchangeable backends (no Streamlit here)."""

from customer.backend import CustomerBackend, ReplyContext, ReplyStream, Turn
from customer.engine import CustomerEngine, TurnOutcome
from customer.state import CustomerState, Stage

__all__ = ["CustomerBackend", "CustomerEngine", "CustomerState", "ReplyContext", "ReplyStream", "Stage",
           "Turn", "TurnOutcome"]
