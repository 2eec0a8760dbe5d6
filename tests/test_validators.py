import pytest

from caseapp import validators
from caseapp.validators import InvalidValue


@pytest.fixture(autouse=True)
def _context(app):
    with app.test_request_context():
        yield


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("123456782L01", "123456782L01"),
        ("1234.56.782.L.01", "123456782L01"),
        (" 123 456 782 l 01 ", "123456782L01"),
        ("111222333L02", "111222333L02"),
        ("100000009L99", "100000009L99"),
    ],
)
def test_payroll_tax_number_is_normalised(raw, expected):
    assert validators.payroll_tax_number(raw) == expected


@pytest.mark.parametrize(
    "raw, message",
    [
        ("", "Vul het loonheffingennummer in"),
        ("123456782", "9 cijfers, de letter L en 2 cijfers"),
        ("123456782B01", "9 cijfers, de letter L en 2 cijfers"),
        ("12345678L01", "9 cijfers, de letter L en 2 cijfers"),
        ("123456782L1", "9 cijfers, de letter L en 2 cijfers"),
        ("123456789L01", "elfproef"),
        ("123456783L01", "elfproef"),
        ("000000000L01", "elfproef"),
        ("123456782L00", "L00"),
    ],
)
def test_payroll_tax_number_refuses(raw, message):
    with pytest.raises(InvalidValue, match=message):
        validators.payroll_tax_number(raw)


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("b14acd0d-75d7-4fc8-8b22-4a3924585cab", "b14acd0d-75d7-4fc8-8b22-4a3924585cab"),
        ("B14ACD0D-75D7-4FC8-8B22-4A3924585CAB", "b14acd0d-75d7-4fc8-8b22-4a3924585cab"),
        ("  b14acd0d75d74fc88b224a3924585cab ", "b14acd0d-75d7-4fc8-8b22-4a3924585cab"),
    ],
)
def test_loket_employer_id_is_a_lower_case_uuid(raw, expected):
    assert validators.loket_employer_id(raw) == expected


@pytest.mark.parametrize(
    "raw, message",
    [
        ("", "Vul de Werkgever ID in"),
        ("123456", "werkgeversnummer"),
        ("0042", "werkgeversnummer"),
        ("b14acd0d-75d7-4fc8-8b22", "36 tekens"),
        ("g14acd0d-75d7-4fc8-8b22-4a3924585cab", "36 tekens"),
    ],
)
def test_loket_employer_id_refuses(raw, message):
    with pytest.raises(InvalidValue, match=message):
        validators.loket_employer_id(raw)


@pytest.mark.parametrize(
    "raw, expected, warn",
    [("a0201234", "A0201234", False), (" A020 1234 ", "A0201234", False), ("b1234567", "B1234567", True)],
)
def test_contract_number_upper_cased_with_prefix_warning(raw, expected, warn):
    number = validators.contract_number(raw)
    assert number == expected
    assert validators.contract_prefix_warning(number, "A020") is warn


@pytest.mark.parametrize("raw, message", [("", "Vul het raamwerkcontractnummer in"), ("A020-1234", "letters en cijfers"), ("A020/12", "letters en cijfers")])
def test_contract_number_refuses(raw, message):
    with pytest.raises(InvalidValue, match=message):
        validators.contract_number(raw)


@pytest.mark.parametrize(
    "raw, message",
    [("", "Vul de bedrijfsnaam in"), ("X", "minstens 2 tekens"), ("A" * 71, "hoogstens 70 tekens")],
)
def test_company_name_refuses(raw, message):
    with pytest.raises(InvalidValue, match=message):
        validators.company_name(raw, "bedrijfsnaam")


def test_company_name_is_trimmed_and_70_characters_fit():
    assert validators.company_name("  Bakkerij   Van Dam ", "x") == "Bakkerij Van Dam"
    assert validators.company_name("B" * 70, "x") == "B" * 70
    assert validators.company_name("AB", "x") == "AB"


@pytest.mark.parametrize("raw", ["loket@salarisnoord.nl", "Jan.de.Vries+aw@bureau.example.nl"])
def test_email_accepts_real_addresses(raw):
    assert validators.email_address(raw)


@pytest.mark.parametrize("raw", ["", "geen-adres", "a@b", "jan@@bureau.nl", "jan@bureau..nl"])
def test_email_refuses(raw):
    with pytest.raises(InvalidValue):
        validators.email_address(raw)


@pytest.mark.parametrize("raw", ["jösé@bureau.nl", "пример@bureau.nl"])
def test_email_refuses_what_a_plain_smtp_relay_cannot_deliver(raw):
    with pytest.raises(InvalidValue, match="zonder é, ü"):
        validators.email_address(raw)


def test_an_international_domain_is_accepted_in_the_form_every_relay_takes():
    assert validators.email_address("loket@bürö.nl") == "loket@xn--br-gkaw.nl"


@pytest.mark.parametrize("raw, message", [("", "Vul het personeelsnummer"), ("12a", "alleen uit cijfers"), ("1" * 13, "hoogstens 12")])
def test_personnel_number_refuses(raw, message):
    with pytest.raises(InvalidValue, match=message):
        validators.personnel_number(raw)
