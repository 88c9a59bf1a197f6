"""Meeting Guide type codes a room's `types` may use.

The codes of the code4recovery spec's "Meeting Types" table (README, as of 2026;
`data/types.json` in github.com/code4recovery/spec). Its "proposed" codes are not
in use by the app, so config refuses them like any unknown code.
"""

from __future__ import annotations

MEETING_GUIDE_TYPES = frozenset({
    "11", "12x12", "A", "ABSI", "AF", "AL", "AL-AN", "AM", "AR", "ASL", "B", "BA", "BE",
    "BG", "BI", "BRK", "C", "CAN", "CF", "D", "DA", "DB", "DD", "DE", "DR", "EL", "EN",
    "FA", "FF", "FI", "FR", "G", "GR", "H", "HE", "HI", "HR", "HU", "IS", "ITA", "JA",
    "KA", "KOR", "L", "LGBTQ", "LIT", "LS", "LT", "M", "MED", "ML", "MT", "N", "NB",
    "NDG", "NE", "NL", "NO", "O", "OUT", "P", "POA", "POC", "POL", "POR", "PUN", "RUS",
    "S", "SEN", "SK", "SL", "SM", "SP", "ST", "SV", "T", "TC", "TH", "TL", "TR", "TUR",
    "UK", "W", "X", "XB", "XT", "Y",
})

# Codes about a building. Every room here is online, and TSML UI drops these from
# meetings that are not in person (its `in_person_types`, plus TC "temporarily
# closed"), so a config that lists one is mistaken rather than merely ignored.
IN_PERSON_TYPES = frozenset({"AL", "AL-AN", "BA", "BRK", "CAN", "CF", "FF", "OUT", "SM",
                             "TC", "X", "XB"})
