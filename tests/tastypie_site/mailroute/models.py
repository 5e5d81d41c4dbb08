"""Models behind the test-only copy of the MailRoute API (see ``api.py``).

Field names, nullability, blank and defaults are chosen so that tastypie's introspection
produces the schemas MailRoute published (seed doc and the Feb 2013 knowledge-base answers).
"""

import datetime
from zoneinfo import ZoneInfo

from django.db import models
from django.utils import timezone

# MailRoute's admins schema shows a datetime string as the default of date_joined/last_login
# (a callable default evaluated when the schema was built). A fixed value keeps the exported
# fixtures reproducible.
ADMIN_DEFAULT_DATETIME = datetime.datetime(
    2013, 2, 18, 10, 10, 12, tzinfo=ZoneInfo("America/Los_Angeles")
)


def _char(**kwargs):
    return models.CharField(max_length=255, **kwargs)


def _flag(default):
    """A blank boolean with a default, shown by tastypie as ``"blank": true``."""
    return models.BooleanField(default=default, blank=True)


class Stamped(models.Model):
    """``created_at``/``updated_at``; ``updated_at`` moves on every save that writes it."""

    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        abstract = True

    # (model name, its link to this row): a row the server makes with each new one, as
    # MailRoute makes branding info for resellers and policies for domains and accounts
    companion: tuple[str, str] | None = None

    def save(self, *args, **kwargs):
        self.updated_at = timezone.now()
        adding = self._state.adding
        super().save(*args, **kwargs)
        if adding and self.companion:
            model, link = self.companion
            self._meta.apps.get_model("mailroute", model).objects.get_or_create(**{link: self})


class Reseller(Stamped):
    name = _char(unique=True, help_text="hi")  # sic: MailRoute's schema says "hi"
    allow_branding = _flag(False)
    allow_customer_branding = _flag(False)

    companion = ("BrandingInfo", "reseller")


class Customer(Stamped):
    name = _char(unique=True)
    reseller = models.ForeignKey(Reseller, models.CASCADE, related_name="customers")
    allow_branding = _flag(False)
    is_full_user_list = _flag(False)
    reported_user_count = models.IntegerField(null=True)

    companion = ("BrandingInfo", "customer")


class BrandingInfo(Stamped):
    """Reachable at /api/v1/brandinginfo/ but absent from the /api/v1/ listing (as on MailRoute)."""

    reseller = models.OneToOneField(
        Reseller, models.CASCADE, null=True, related_name="branding_info"
    )
    customer = models.OneToOneField(
        Customer, models.CASCADE, null=True, related_name="branding_info"
    )
    enabled = _flag(False)
    service_name = _char(null=True)
    subdomain = _char(null=True)
    domain = _char(null=True)
    email_from = _char(null=True)
    color = _char(null=True)
    highlight_color = _char(null=True)
    logo = _char(null=True)
    favicon = _char(null=True)
    ssl_cert_passphrase = _char(null=True)
    ssl_cert_passphrase_set = _flag(False)


class Domain(Stamped):
    name = _char(unique=True)
    customer = models.ForeignKey(Customer, models.CASCADE, related_name="domains")
    active = _flag(True)
    bounce_unlisted = _flag(False)
    deliveryport = models.IntegerField(default=25, blank=True)
    hold_email = _flag(False)
    outbound_enabled = _flag(False)

    def get_absolute_url(self):
        return f"/domain/{self.pk}/"

    companion = ("PolicyDomain", "domain")


class DomainAlias(Stamped):
    name = _char(unique=True)
    domain = models.ForeignKey(Domain, models.CASCADE, related_name="aliases")
    active = _flag(True)


class DomainWithAlias(models.Model):
    """Read-only SQL view: every domain and every domain alias (see ``view_sql``)."""

    name = _char()
    type = models.CharField(max_length=16)
    domain = models.ForeignKey(Domain, models.DO_NOTHING, related_name="+")

    class Meta:
        managed = False
        db_table = "mailroute_domainwithalias"

    # ids: 2*domain.id for a domain, 2*alias.id+1 for an alias, so both stay unique and stable.
    VIEW_SELECT = (
        "SELECT 2 * id AS id, name, 'domain' AS type, id AS domain_id FROM mailroute_domain "
        "UNION ALL "
        "SELECT 2 * id + 1, name, 'alias', domain_id FROM mailroute_domainalias"
    )

    @classmethod
    def view_sql(cls, vendor):
        """The statement creating the view once (PostgreSQL has no CREATE VIEW IF NOT
        EXISTS; SQLite has no CREATE OR REPLACE VIEW)."""
        create = "CREATE OR REPLACE VIEW" if vendor == "postgresql" else "CREATE VIEW IF NOT EXISTS"
        return f"{create} {cls._meta.db_table} AS {cls.VIEW_SELECT}"


class EmailAccount(Stamped):
    domain = models.ForeignKey(Domain, models.CASCADE, related_name="email_accounts")
    localpart = models.CharField(max_length=128)
    priority = models.IntegerField(default=7)
    create_opt = models.CharField(max_length=32, null=True, blank=True)
    change_pwd = models.CharField(max_length=32, null=True, blank=True)

    class Meta:
        unique_together = [("domain", "localpart")]

    companion = ("PolicyUser", "email_account")


class LocalpartAlias(Stamped):
    email_account = models.ForeignKey(
        EmailAccount, models.CASCADE, related_name="localpart_aliases"
    )
    domain = models.ForeignKey(Domain, models.CASCADE, null=True, blank=True, related_name="+")
    localpart = models.CharField(max_length=128)
    type = models.CharField(max_length=16, default="alias")

    def save(self, *args, **kwargs):
        self.domain_id = self.email_account.domain_id
        super().save(*args, **kwargs)


class MailServer(Stamped):
    domain = models.ForeignKey(Domain, models.CASCADE, related_name="mail_servers")
    server = _char()
    priority = models.IntegerField(default=10)
    use_sasl = _flag(False)
    sasl_login = _char(null=True)
    sasl_password = _char(null=True)


class OutboundServer(Stamped):
    domain = models.ForeignKey(Domain, models.CASCADE, related_name="outbound_servers")
    server = _char()


class Contact(Stamped):
    email = _char()
    first_name = _char(blank=True)
    last_name = _char(blank=True)
    address = _char(null=True)
    address2 = _char(null=True)
    city = _char(blank=True)
    state = _char(blank=True)
    zipcode = _char(null=True)
    country = _char(blank=True)
    phone = _char(null=True)
    is_billing = _flag(False)
    is_emergency = _flag(False)
    is_technical = _flag(False)

    class Meta:
        abstract = True


class ContactReseller(Contact):
    reseller = models.ForeignKey(Reseller, models.CASCADE, related_name="contacts")


class ContactCustomer(Contact):
    customer = models.ForeignKey(Customer, models.CASCADE, related_name="contacts")


class ContactDomain(Contact):
    domain = models.ForeignKey(Domain, models.CASCADE, related_name="contacts")


class ContactEmailAccount(Contact):
    email_account = models.OneToOneField(EmailAccount, models.CASCADE, related_name="contact")


class Admin(models.Model):
    username = models.CharField(
        max_length=30,
        unique=True,
        help_text="Required. 30 characters or fewer. Letters, numbers and @/./+/-/_ characters",
    )
    email = _char(blank=True)
    is_active = models.BooleanField(
        default=True,
        blank=True,
        help_text="Designates whether this user should be treated as active. "
        "Unselect this instead of deleting accounts.",
    )
    date_joined = models.DateTimeField(default=ADMIN_DEFAULT_DATETIME)
    last_login = models.DateTimeField(default=ADMIN_DEFAULT_DATETIME)
    reseller = models.ForeignKey(Reseller, models.CASCADE, null=True, related_name="admins")
    customer = models.ForeignKey(Customer, models.CASCADE, null=True, related_name="admins")


def _yn(default):
    return models.CharField(max_length=1, null=True, default=default)


class AmavisPolicy(models.Model):
    """The amavisd-new policy columns shared by policy_user and policy_domain."""

    addr_extension_bad_header = _char(null=True)
    addr_extension_banned = _char(null=True)
    addr_extension_spam = _char(null=True)
    addr_extension_virus = _char(null=True)
    bad_header_lover = _yn("N")
    bad_header_quarantine_to = _char(null=True, default="sql:")
    banned_files_lover = _yn("N")
    banned_quarantine_to = _char(null=True, default="sql:")
    bypass_banned_checks = _yn("N")
    bypass_header_checks = _yn("Y")
    bypass_spam_checks = _yn("N")
    bypass_virus_checks = _yn("N")
    message_size_limit = models.IntegerField(null=True)
    spam_kill_level = models.FloatField(null=True, default=7)
    spam_lover = _yn("N")
    spam_quarantine_cutoff_level = models.FloatField(null=True)
    spam_quarantine_to = _char(null=True, default="sql:")
    spam_subject_tag = _char(null=True)
    spam_subject_tag2 = _char(null=True)
    spam_subject_tag3 = _char(null=True)
    spam_tag2_level = models.FloatField(null=True)
    spam_tag3_level = models.FloatField(null=True)
    spam_tag_level = models.FloatField(null=True, default=-9999)
    unchecked_lover = _yn("Y")
    unchecked_quarantine_to = _char(null=True)
    virus_lover = _yn("N")
    virus_quarantine_to = _char(null=True, default="sql:")
    warnbadhrecip = _yn("N")
    warnbannedrecip = _yn("N")
    warnvirusrecip = _yn("N")

    class Meta:
        abstract = True


class PolicyUser(AmavisPolicy):
    email_account = models.OneToOneField(EmailAccount, models.CASCADE, related_name="policy")
    priority = models.IntegerField(default=1)


class PolicyDomain(AmavisPolicy):
    domain = models.OneToOneField(Domain, models.CASCADE, related_name="policy")
    priority = models.IntegerField(default=5)
    is_default = _flag(False)
    spam_modifies_subj = _yn("N")


class NotificationTask(models.Model):
    enabled = _flag(False)
    mon = _flag(True)
    tue = _flag(True)
    wed = _flag(True)
    thu = _flag(True)
    fri = _flag(True)
    sat = _flag(False)
    sun = _flag(False)
    hour = models.IntegerField(default=7)
    minute = models.IntegerField(default=0)
    timezone = models.CharField(max_length=64, null=True, blank=True)
    priority = models.IntegerField(default=7)

    class Meta:
        abstract = True


class NotificationAccountTask(NotificationTask):
    email_account = models.OneToOneField(
        EmailAccount, models.CASCADE, related_name="notification_task"
    )
    enable_default = _flag(True)


class NotificationDomainTask(NotificationTask):
    domain = models.ForeignKey(Domain, models.CASCADE, related_name="notification_tasks")
    domain_bounce_unlisted = _flag(False)


class WBList(models.Model):
    """A white/black list entry of a domain or of an email account (``wb`` is "w" or "b")."""

    domain = models.ForeignKey(Domain, models.CASCADE, null=True, related_name="wblist")
    email_account = models.ForeignKey(
        EmailAccount, models.CASCADE, null=True, related_name="wblist"
    )
    email = _char()
    wb = models.CharField(max_length=1)
    rid = models.CharField(max_length=32)
