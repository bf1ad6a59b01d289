"""The job-adverts generator: noisy text-classification folders in a domain unlike the shared promo data.

The one copy of the generator: the Data agent renders it into a cell for ``--data synthetic:job-ads``, and since
it uses no name an earlier cell defines, tests import it as a module
(``from trainer_agent_lab.kinds.texts.cells.job_ads import make_job_ads``).
"""

# %% [context]
import random
from pathlib import Path

# isort: split
# %% Generate a noisy text data set: job adverts, labeled "offers remote work" or not. Its words, templates and
# decoys are its own (not the shared promo data's), a share of the labels is flipped, and HTML, emoji and case
# noise is added. make_job_ads writes labeled.csv (advert,remote), unlabeled.csv and test.csv.
import csv

ROLES = ["data engineer", "nurse", "accountant", "warehouse lead", "frontend developer", "teacher", "electrician",
         "sales manager", "chef", "product designer", "customer support agent", "pharmacist", "lab technician",
         "marketing analyst", "truck driver", "HR partner"]
REMOTE = ["fully remote role", "work from home every day", "remote-first team across time zones",
          "hybrid: two days in the office, the rest from home", "work from anywhere in the country",
          "home office allowance for remote staff", "100% remote, async culture",
          "you can work remotely four days a week", "distributed team, no office required",
          "occasional travel, otherwise home-based"]
DECOYS = ["experience with remote sensing data", "we build smart home devices", "our office overlooks the river",
          "you will train new office staff", "knowledge of remote control systems is a plus",
          "on-site canteen and gym", "must live within 30 minutes of the plant",
          "home insurance discount for employees", "office hours 9 to 5, Monday to Friday",
          "the role is based in our downtown office"]
NEUTRAL = ["competitive salary", "5 years of experience required", "pension plan with matching",
           "25 days of paid leave", "fluent English required", "driving licence needed", "team of 12 people",
           "career development budget", "start date in March", "permanent contract", "shift work possible",
           "health cover for the family", "bonus twice a year", "training provided"]
NOISE = [" 🚀", " &amp; more", " <b>apply now</b>", " ✨", "", "", "", " (ref JX-{n})", " !!!"]


def _advert(rng: random.Random, remote: bool) -> str:
    parts = rng.sample(NEUTRAL, rng.randint(1, 3))
    if remote:
        parts.insert(rng.randrange(len(parts) + 1), rng.choice(REMOTE))
    if rng.random() < 0.6:
        parts.insert(rng.randrange(len(parts) + 1), rng.choice(DECOYS))
    text = f"{rng.choice(ROLES)} wanted - " + rng.choice([", ", "; ", " / "]).join(parts)
    text += rng.choice(NOISE).format(n=rng.randint(100, 999))
    if rng.random() < 0.15:
        text = text.upper()
    elif rng.random() < 0.15:
        text = text.title()
    return text


def _write(path: Path, rows: list[tuple], header: tuple[str, ...]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def make_job_ads(folder: Path, *, labeled: int = 100, unlabeled: int = 800, test: int = 300, noise: float = 0.08,
                 seed: int = 7) -> Path:
    """Write a labeled / unlabeled / test folder of job adverts; return the folder."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)

    def sample(n: int) -> list[tuple[str, int]]:
        return [(_advert(rng, remote), int(remote)) for remote in (rng.random() < 0.45 for _ in range(n))]

    train = [(text, 1 - y if rng.random() < noise else y) for text, y in sample(labeled)]
    _write(folder / "labeled.csv", train, ("advert", "remote"))
    _write(folder / "unlabeled.csv", [(text,) for text, _ in sample(unlabeled)], ("advert",))
    _write(folder / "test.csv", sample(test), ("advert", "remote"))
    return folder
