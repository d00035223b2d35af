"""Places: English local authorities (DfE code, name, ONS region) and the nine regions.

Reference data read by every layer (the extractor, the crawler's scope, the monitor's filters);
it imports nothing. Local authority → ONS region, so subscribers can filter by region.

Neither the results nor the provider page shows a region, so it is derived from the local
authority *name* the provider page shows, through this static table: the DfE 3-digit code and name
of every English local authority as listed in the real search form (the saved page's
``select#local_authority_dropdown``) and the ONS region (E12000001…E12000009) it lies in.
A name the table does not know gives ``None``: a region is either right or empty, never a guess.
"""
from __future__ import annotations

import re

REGIONS = {
    "E12000001": "North East",
    "E12000002": "North West",
    "E12000003": "Yorkshire and The Humber",
    "E12000004": "East Midlands",
    "E12000005": "West Midlands",
    "E12000006": "East of England",
    "E12000007": "London",
    "E12000008": "South East",
    "E12000009": "South West",
}

#: (DfE LA code, name as in the search form, ONS region code)
LOCAL_AUTHORITIES = [
    ("940", "North Northamptonshire", "E12000004"),
    ("941", "West Northamptonshire", "E12000004"),
    ("942", "Cumberland", "E12000002"),
    ("943", "Westmorland and Furness", "E12000002"),
    ("201", "City of London", "E12000007"),
    ("202", "Camden", "E12000007"),
    ("203", "Greenwich", "E12000007"),
    ("204", "Hackney", "E12000007"),
    ("205", "Hammersmith and Fulham", "E12000007"),
    ("206", "Islington", "E12000007"),
    ("207", "Kensington and Chelsea", "E12000007"),
    ("208", "Lambeth", "E12000007"),
    ("209", "Lewisham", "E12000007"),
    ("210", "Southwark", "E12000007"),
    ("211", "Tower Hamlets", "E12000007"),
    ("212", "Wandsworth", "E12000007"),
    ("213", "Westminster", "E12000007"),
    ("301", "Barking and Dagenham", "E12000007"),
    ("302", "Barnet", "E12000007"),
    ("303", "Bexley", "E12000007"),
    ("304", "Brent", "E12000007"),
    ("305", "Bromley", "E12000007"),
    ("306", "Croydon", "E12000007"),
    ("307", "Ealing", "E12000007"),
    ("308", "Enfield", "E12000007"),
    ("309", "Haringey", "E12000007"),
    ("310", "Harrow", "E12000007"),
    ("311", "Havering", "E12000007"),
    ("312", "Hillingdon", "E12000007"),
    ("313", "Hounslow", "E12000007"),
    ("314", "Kingston upon Thames", "E12000007"),
    ("315", "Merton", "E12000007"),
    ("316", "Newham", "E12000007"),
    ("317", "Redbridge", "E12000007"),
    ("318", "Richmond upon Thames", "E12000007"),
    ("319", "Sutton", "E12000007"),
    ("320", "Waltham Forest", "E12000007"),
    ("330", "Birmingham", "E12000005"),
    ("331", "Coventry", "E12000005"),
    ("332", "Dudley", "E12000005"),
    ("333", "Sandwell", "E12000005"),
    ("334", "Solihull", "E12000005"),
    ("335", "Walsall", "E12000005"),
    ("336", "Wolverhampton", "E12000005"),
    ("340", "Knowsley", "E12000002"),
    ("341", "Liverpool", "E12000002"),
    ("342", "St Helens", "E12000002"),
    ("343", "Sefton", "E12000002"),
    ("344", "Wirral", "E12000002"),
    ("350", "Bolton", "E12000002"),
    ("351", "Bury", "E12000002"),
    ("352", "Manchester", "E12000002"),
    ("353", "Oldham", "E12000002"),
    ("354", "Rochdale", "E12000002"),
    ("355", "Salford", "E12000002"),
    ("356", "Stockport", "E12000002"),
    ("357", "Tameside", "E12000002"),
    ("358", "Trafford", "E12000002"),
    ("359", "Wigan", "E12000002"),
    ("370", "Barnsley", "E12000003"),
    ("371", "Doncaster", "E12000003"),
    ("372", "Rotherham", "E12000003"),
    ("373", "Sheffield", "E12000003"),
    ("380", "Bradford", "E12000003"),
    ("381", "Calderdale", "E12000003"),
    ("382", "Kirklees", "E12000003"),
    ("383", "Leeds", "E12000003"),
    ("384", "Wakefield", "E12000003"),
    ("390", "Gateshead", "E12000001"),
    ("391", "Newcastle upon Tyne", "E12000001"),
    ("392", "North Tyneside", "E12000001"),
    ("393", "South Tyneside", "E12000001"),
    ("394", "Sunderland", "E12000001"),
    ("420", "Isles of Scilly", "E12000009"),
    ("800", "Bath and North East Somerset", "E12000009"),
    ("801", "Bristol", "E12000009"),
    ("802", "North Somerset", "E12000009"),
    ("803", "South Gloucestershire", "E12000009"),
    ("805", "Hartlepool", "E12000001"),
    ("806", "Middlesbrough", "E12000001"),
    ("807", "Redcar and Cleveland", "E12000001"),
    ("808", "Stockton-on-Tees", "E12000001"),
    ("810", "Kingston upon Hull", "E12000003"),
    ("811", "East Riding of Yorkshire", "E12000003"),
    ("812", "North East Lincolnshire", "E12000003"),
    ("813", "North Lincolnshire", "E12000003"),
    ("815", "North Yorkshire", "E12000003"),
    ("816", "York", "E12000003"),
    ("821", "Luton", "E12000006"),
    ("822", "Bedford", "E12000006"),
    ("823", "Central Bedfordshire", "E12000006"),
    ("825", "Buckinghamshire", "E12000008"),
    ("826", "Milton Keynes", "E12000008"),
    ("830", "Derbyshire", "E12000004"),
    ("831", "Derby", "E12000004"),
    ("838", "Dorset", "E12000009"),
    ("839", "Bournemouth, Christchurch and Poole", "E12000009"),
    ("840", "Durham", "E12000001"),
    ("841", "Darlington", "E12000001"),
    ("845", "East Sussex", "E12000008"),
    ("846", "Brighton and Hove", "E12000008"),
    ("850", "Hampshire", "E12000008"),
    ("851", "Portsmouth", "E12000008"),
    ("852", "Southampton", "E12000008"),
    ("855", "Leicestershire", "E12000004"),
    ("856", "Leicester", "E12000004"),
    ("857", "Rutland", "E12000004"),
    ("860", "Staffordshire", "E12000005"),
    ("861", "Stoke-on-Trent", "E12000005"),
    ("865", "Wiltshire", "E12000009"),
    ("866", "Swindon", "E12000009"),
    ("867", "Bracknell Forest", "E12000008"),
    ("868", "Windsor and Maidenhead", "E12000008"),
    ("869", "West Berkshire", "E12000008"),
    ("870", "Reading", "E12000008"),
    ("871", "Slough", "E12000008"),
    ("872", "Wokingham", "E12000008"),
    ("873", "Cambridgeshire", "E12000006"),
    ("874", "Peterborough", "E12000006"),
    ("876", "Halton", "E12000002"),
    ("877", "Warrington", "E12000002"),
    ("878", "Devon", "E12000009"),
    ("879", "Plymouth", "E12000009"),
    ("880", "Torbay", "E12000009"),
    ("881", "Essex", "E12000006"),
    ("882", "Southend on Sea", "E12000006"),
    ("883", "Thurrock", "E12000006"),
    ("884", "Herefordshire", "E12000005"),
    ("885", "Worcestershire", "E12000005"),
    ("886", "Kent", "E12000008"),
    ("887", "Medway", "E12000008"),
    ("888", "Lancashire", "E12000002"),
    ("889", "Blackburn with Darwen", "E12000002"),
    ("890", "Blackpool", "E12000002"),
    ("891", "Nottinghamshire", "E12000004"),
    ("892", "Nottingham", "E12000004"),
    ("893", "Shropshire", "E12000005"),
    ("894", "Telford and Wrekin", "E12000005"),
    ("895", "Cheshire East", "E12000002"),
    ("896", "Cheshire West and Chester", "E12000002"),
    ("908", "Cornwall", "E12000009"),
    ("916", "Gloucestershire", "E12000009"),
    ("919", "Hertfordshire", "E12000006"),
    ("921", "Isle of Wight", "E12000008"),
    ("925", "Lincolnshire", "E12000004"),
    ("926", "Norfolk", "E12000006"),
    ("929", "Northumberland", "E12000001"),
    ("931", "Oxfordshire", "E12000008"),
    ("933", "Somerset", "E12000009"),
    ("935", "Suffolk", "E12000006"),
    ("936", "Surrey", "E12000008"),
    ("937", "Warwickshire", "E12000005"),
    ("938", "West Sussex", "E12000008"),
    # retired authorities that still appear on older provider pages
    ("909", "Cumbria", "E12000002"),
    ("928", "Northamptonshire", "E12000004"),
]

#: other spellings seen in Ofsted and DfE lists → the form's name
ALIASES = {
    "bristol city of": "bristol",
    "city of bristol": "bristol",
    "county durham": "durham",
    "kingston upon hull city of": "kingston upon hull",
    "hull": "kingston upon hull",
    "herefordshire county of": "herefordshire",
    "southend": "southend on sea",
    "st helens": "st helens",
    "bournemouth christchurch and poole": "bournemouth christchurch and poole",
    "bcp": "bournemouth christchurch and poole",
    "city of london corporation": "city of london",
    "london city of": "city of london",
    "windsor and maidenhead royal borough of": "windsor and maidenhead",
    "kensington and chelsea royal borough of": "kensington and chelsea",
    "kingston upon thames royal borough of": "kingston upon thames",
    "greenwich royal borough of": "greenwich",
    "north somerset council": "north somerset",
    # short forms printed in reports, and children's trusts running a council's services
    "kingston upon hull": "kingston upon hull",
    "newcastle": "newcastle upon tyne",
    "east riding": "east riding of yorkshire",
    "durham county": "durham",
    "stoke": "stoke on trent",
    "southend on sea borough": "southend on sea",
    "herefordshire council": "herefordshire",
    "sandwell children s trust": "sandwell",
    "slough children first": "slough",
    "slough children s services trust": "slough",
    "birmingham children s trust": "birmingham",
    "doncaster children s services trust": "doncaster",
    "doncaster children s trust": "doncaster",
    "bradford children and families trust": "bradford",
    "worcestershire children first": "worcestershire",
    "together for children sunderland": "sunderland",
    "sunderland together for children": "sunderland",
    "brighter futures for children": "reading",
    "medway children s services": "medway",
    # common short forms people type (matched by monitor/filters.py and the extractor alike)
    "staffs": "staffordshire", "derbys": "derbyshire", "notts": "nottinghamshire",
    "leics": "leicestershire", "lincs": "lincolnshire", "worcs": "worcestershire",
    "warks": "warwickshire", "glos": "gloucestershire", "gloucs": "gloucestershire",
    "wilts": "wiltshire", "hants": "hampshire", "herts": "hertfordshire",
    "bucks": "buckinghamshire", "cambs": "cambridgeshire", "oxon": "oxfordshire",
    "lancs": "lancashire", "shrops": "shropshire", "salop": "shropshire",
    "northumberland county": "northumberland", "central beds": "central bedfordshire",
    "c beds": "central bedfordshire", "east sussex county": "east sussex",
    "north yorks": "north yorkshire", "n yorks": "north yorkshire",
    "ne lincs": "north east lincolnshire", "n e lincs": "north east lincolnshire",
    "north east lincs": "north east lincolnshire", "north lincs": "north lincolnshire",
    "n lincs": "north lincolnshire", "south glos": "south gloucestershire",
    "s glos": "south gloucestershire", "n somerset": "north somerset",
    "banes": "bath and north east somerset", "b and nes": "bath and north east somerset",
    "bath": "bath and north east somerset", "bath and ne somerset": "bath and north east somerset",
    "brighton": "brighton and hove", "windsor": "windsor and maidenhead",
    "rbwm": "windsor and maidenhead", "stockton": "stockton on tees",
    "redcar": "redcar and cleveland", "telford": "telford and wrekin",
    "blackburn": "blackburn with darwen", "hammersmith": "hammersmith and fulham",
    "lbhf": "hammersmith and fulham", "kensington": "kensington and chelsea",
    "rbkc": "kensington and chelsea", "kingston": "kingston upon thames",
    "richmond": "richmond upon thames", "barking": "barking and dagenham",
    "westmorland": "westmorland and furness", "cheshire west": "cheshire west and chester",
    "cwac": "cheshire west and chester", "north northants": "north northamptonshire",
    "west northants": "west northamptonshire", "iow": "isle of wight",
    "scilly": "isles of scilly", "saint helens": "st helens", "hull city": "kingston upon hull",
    "city of york": "york", "city of westminster": "westminster", "city of bradford": "bradford",
    "city of wakefield": "wakefield", "city of leeds": "leeds", "mk": "milton keynes",
    "newcastle on tyne": "newcastle upon tyne", "stoke on trent city": "stoke on trent",
    "northants": "northamptonshire",
    # old names of merged councils → the council that took over their children's services
    "bournemouth": "bournemouth christchurch and poole",
    "poole": "bournemouth christchurch and poole",
    "christchurch": "bournemouth christchurch and poole",
    "bournemouth and poole": "bournemouth christchurch and poole",
}

#: DfE codes of merged councils → the code of the council that took over (Dorset's 2019
#: reorganisation). Retired codes still in ``LOCAL_AUTHORITIES`` (909, 928) are not repeated.
FORMER_CODES = {"835": "838", "836": "839", "837": "839"}

#: Retired councils whose area is now covered by several: a filter on the old name follows all.
SUCCESSORS = {
    "Cumbria": ("Cumberland", "Westmorland and Furness"),
    "Northamptonshire": ("North Northamptonshire", "West Northamptonshire"),
}


def normalise(name: str) -> str:
    text = name.lower().replace("&", " and ").replace("st.", "st")
    text = re.sub(r"[^a-z ]+", " ", text)
    text = re.sub(r"\b(council|county council|borough council|city council|metropolitan)\b$",
                  "", text.strip())
    return re.sub(r"\s+", " ", text).strip()


_BY_NAME = {normalise(name): (code, name, region) for code, name, region in LOCAL_AUTHORITIES}
_BY_CODE = {code: (code, name, region) for code, name, region in LOCAL_AUTHORITIES}
_REGION_BY_NAME = {normalise(name): code for code, name in REGIONS.items()}


def _lookup(name: str | None):
    if not name:
        return None
    key = normalise(name)
    key = ALIASES.get(key, key)
    return _BY_NAME.get(key)


def lookup(name: str | None) -> tuple[str, str, str] | None:
    """(DfE code, table name, region) for a name as printed or listed (aliases, short forms
    and trusts included), or None."""
    return _lookup(name)


def only_authority_in(text: str) -> str | None:
    """The table name of the one authority ``text`` mentions (whole words; a name inside a
    longer one, "Somerset" in "North Somerset", does not count), or None for none or several."""
    words = f" {normalise(text)} "
    spans = []
    for key in list(_BY_NAME) + list(ALIASES):
        # every occurrence of " key " (a whole-word match, as the regex (?<= )key(?= ) finds)
        needle = f" {key} "
        at = words.find(needle)
        while at >= 0:
            start, end = at + 1, at + 1 + len(key)
            spans.append((start, end, _lookup(key)))
            at = words.find(needle, end)
    spans = [span for span in spans if span[2] and not any(
        other[0] <= span[0] and span[1] <= other[1] and other[1] - other[0] > span[1] - span[0]
        for other in spans)]
    names = {span[2][1] for span in spans}
    return names.pop() if len(names) == 1 else None


def region_for(local_authority: str | None) -> str | None:
    """ONS region code for a local authority name as shown by Ofsted, or None if unknown."""
    found = _lookup(local_authority)
    return found[2] if found else None


def la_code(value: str) -> str | None:
    """DfE code for a local authority given by code or name; None if unknown."""
    value = value.strip()
    if value in _BY_CODE:
        return value
    found = _lookup(value)
    return found[0] if found else None


def region_code(value: str) -> str | None:
    """ONS region code given by code (E12000008) or name ("South East", "south-east")."""
    value = value.strip()
    if value.upper() in REGIONS:
        return value.upper()
    return _REGION_BY_NAME.get(normalise(value.replace("-", " ")))


def la_name(code: str) -> str | None:
    found = _BY_CODE.get(code)
    return found[1] if found else None
