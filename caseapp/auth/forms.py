from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired


class LoginForm(FlaskForm):
    email = StringField(_l("E-mailadres"), validators=[InputRequired(_l("Vul uw e-mailadres in."))])
    password = PasswordField(_l("Wachtwoord"), validators=[InputRequired(_l("Vul uw wachtwoord in."))])
