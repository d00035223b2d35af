"""Made-up replica data of any size, built around real report PDFs (tests, benchmark, demo).

``sample_data(n_homes, n_reports, pdfs)`` gives ``n_homes`` children's homes spread over real
local authorities, ``n_reports`` reports in all (every home has at least one), publication dates
spread over the years before ``latest``; ``pdfs`` are reused in turn (file ids all differ).
Extra providers (``la_services`` local authorities, ``schools``) test the scope filters.
"""
from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

from extract.places import LOCAL_AUTHORITIES

HOME_TITLES = ["Full inspection", "Full inspection", "Interim inspection", "Monitoring visit",
               "Assurance visit"]


def _pick(pdfs: list, index: int) -> str:
    return str(pdfs[index % len(pdfs)])


def sample_data(n_homes: int, n_reports: int, pdfs: list[str | Path], *,
                la_pdfs: list[str | Path] | None = None, la_services: int = 0,
                school_pdfs: list[str | Path] | None = None, schools: int = 0,
                latest: date = date(2026, 10, 30), seed: int = 7,
                first_file_id: int = 50_000_000) -> dict:
    rng = random.Random(seed)
    las = [name for code, name, _ in LOCAL_AUTHORITIES if code not in ("909", "928")]
    file_id = first_file_id
    providers = []
    n_reports = max(n_reports, n_homes)
    per_home = [1] * n_homes
    for _ in range(n_reports - n_homes):
        per_home[rng.randrange(n_homes)] += 1
    for i in range(n_homes):
        urn = f"SC{400000 + i}" if i % 5 == 0 else str(1000000 + i)
        day = latest - timedelta(days=rng.randrange(30, 3650))
        reports = []
        for k in range(per_home[i]):
            pub = day - timedelta(days=k * rng.randrange(120, 400))
            reports.append({"file_id": str(file_id), "title": HOME_TITLES[k % len(HOME_TITLES)],
                            "inspection_date": (pub - timedelta(days=30)).isoformat(),
                            "publication_date": pub.isoformat(),
                            "pdf": _pick(pdfs, file_id)})
            file_id += 1
        providers.append({"urn": urn, "name": urn, "category": "Children's home",
                          "provider_type": "Children's home", "local_authority": las[i % len(las)],
                          "status": "Open" if i % 17 else "Closed",
                          "rating": rng.choice(["Outstanding", "Good", "Requires improvement",
                                                "Inadequate", None]),
                          "registered": "2010-01-04", "reports": reports})
    for j in range(la_services):
        la = las[(j * 7) % len(las)]
        pub = latest - timedelta(days=rng.randrange(30, 900))
        providers.append({"urn": str(80400 + j), "name": la,
                          "category": "Local authority children's services",
                          "provider_type": "Local authority children's services",
                          "local_authority": la, "status": "Open",
                          "reports": [{"file_id": str(file_id),
                                       "title": "Children's services inspection",
                                       "inspection_date": (pub - timedelta(days=40)).isoformat(),
                                       "publication_date": pub.isoformat(),
                                       "pdf": _pick(la_pdfs or pdfs, j)}]})
        file_id += 1
    for s in range(schools):
        pub = latest - timedelta(days=rng.randrange(30, 900))
        providers.append({"urn": str(139000 + s), "name": f"Sample Primary School {s}",
                          "category": "Primary", "provider_type": "Academy converter",
                          "local_authority": las[s % len(las)], "status": "Open",
                          "address": f"{s} School Lane", "rating": "Good",
                          "reports": [{"file_id": str(file_id), "title": "Full inspection",
                                       "inspection_date": (pub - timedelta(days=20)).isoformat(),
                                       "publication_date": pub.isoformat(),
                                       "pdf": _pick(school_pdfs or pdfs, s)}]})
        file_id += 1
    return {"providers": providers}
