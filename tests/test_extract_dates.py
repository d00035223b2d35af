"""Inspection dates as real reports print them (extract/dates.py), and the spans no inspection
of a kind has (flagged, never reordered)."""
from __future__ import annotations

from datetime import date

import pytest

from extract.dates import parse_date, parse_date_range, read_dates, span_problem


@pytest.mark.parametrize("printed,first,last", [
    ("10 to 21 July 2023", "2023-07-10", "2023-07-21"),
    ("6 July 2015 - 30 July 2015", "2015-07-06", "2015-07-30"),
    ("12/09/2016 to 06/10/2016", "2016-09-12", "2016-10-06"),
    ("20 June 2017 - 13 July 2017", "2017-06-20", "2017-07-13"),
    ("8 - 12 July 2013", "2013-07-08", "2013-07-12"),
    ("28 January-5 February 2014 The overall judgement", "2014-01-28", "2014-02-05"),
    ("2 June 2014 - 25 June 2014 Report published: 8 August 2014", "2014-06-02", "2014-06-25"),
    # day lists across months, with gaps, in two blocks; abbreviations; "of"; ordinals
    ("28 February, 1 and 2 March 2022 Lead inspector", "2022-02-28", "2022-03-02"),
    ("15, 16 and 21 July 2021", "2021-07-15", "2021-07-21"),
    ("8 to 12 March and 22 to 26 March 2021", "2021-03-08", "2021-03-26"),
    ("29 November to 3 December 2021 and 10 to 14 January 2022", "2021-11-29", "2022-01-14"),
    ("18 Feb 2019", "2019-02-18", "2019-02-18"),
    ("5 Sept. to 9 Sept. 2019", "2019-09-05", "2019-09-09"),
    ("15 and 16 of May 2019", "2019-05-15", "2019-05-16"),
    ("1st and 2nd March 2022", "2022-03-01", "2022-03-02"),
    ("page 3 of 10 Inspection dates: 5 July 2019", "2019-07-05", "2019-07-05"),
])
def test_printed_forms(printed, first, last):
    assert parse_date_range(printed) == (first, last)


def test_blocks_are_counted():
    assert read_dates("8 to 12 March and 22 to 26 March 2021").blocks == 2
    assert read_dates("15, 16 and 21 July 2021").blocks == 2
    assert read_dates("28 February, 1 and 2 March 2022").blocks == 1


def test_a_date_with_no_year_takes_the_letters_year():
    assert parse_date_range("on 4 and 5 November. The inspectors", date(2020, 11, 27)) == (
        "2020-11-04", "2020-11-05")
    # a letter written in January about a visit in December: the year before
    assert parse_date_range("on 30 November to 1 December. The", date(2021, 1, 20)) == (
        "2020-11-30", "2020-12-01")
    assert parse_date_range("on 4 and 5 November. The inspectors") == (None, None)


def test_a_start_after_its_end_is_kept_as_printed_and_is_a_problem():
    first, last = parse_date_range("20 June 2017 - 13 June 2017")
    assert (first, last) == ("2017-06-20", "2017-06-13")
    assert "after the last day" in span_problem("la-sif", first, last)


def test_spans_no_inspection_of_the_kind_has():
    assert span_problem("ilacs", "2023-03-06", "2023-03-17") is None
    assert "span 42 days" in span_problem("ilacs", "2023-03-06", "2023-04-17")
    assert span_problem("la-sif", "2015-06-23", "2015-07-16") is None
    assert span_problem("la-focused-visit", "2019-10-08", "2019-11-09")
    assert span_problem("unknown-type", "2019-10-08", "2020-11-09") is None


def test_single_dates_for_the_crawler():
    assert parse_date("Latest report: 23 January 2023") == "2023-01-23"
    assert parse_date("19/02/2020") == "2020-02-19"
    assert parse_date("31 February 2023") is None
    assert parse_date("no date here") is None


def test_a_date_printed_right_after_the_dates_is_not_part_of_them():
    assert parse_date_range("10 to 14 July 2023 8 August 2023") == ("2023-07-10", "2023-07-14")
    assert parse_date_range("10 to 14 July 2023, 8 August 2023") == ("2023-07-10", "2023-08-08")
