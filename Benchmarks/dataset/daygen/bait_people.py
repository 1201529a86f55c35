"""People whose random clones are suppressed on some days, so that a bait pattern or a planted
story holds its exact numbers: (username, day)."""

QUIET = {("epark", 3), ("gnovak", 3), ("akumar", 3), ("pmehta", 3), ("lfischer", 3), ("mokafor", 2),
         ("mokafor", 3), ("sbergstrom", 3), ("jliu", 3), ("rgordon", 3), ("nkowalski", 3), ("tvoss", 3),
         ("ahansen", 1), ("kwong", 1), ("bdiaz", 1), ("ahansen", 3), ("kwong", 3), ("bdiaz", 3)}
