"""The public surface: a sorted ``__all__`` that matches what the package exports."""

import trainer_agent_lab


def test_all_is_sorted_and_complete():
    assert trainer_agent_lab.__all__ == sorted(trainer_agent_lab.__all__)
    public = {n for n in dir(trainer_agent_lab) if not n.startswith("_")
              and not isinstance(getattr(trainer_agent_lab, n), type(trainer_agent_lab))}
    assert public == set(trainer_agent_lab.__all__)


def test_every_error_is_a_trainer_agent_error():
    for name in trainer_agent_lab.__all__:
        obj = getattr(trainer_agent_lab, name)
        if isinstance(obj, type) and issubclass(obj, Exception):
            assert issubclass(obj, trainer_agent_lab.TrainerAgentError)
