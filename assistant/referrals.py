"""The public services a refusal names, by region and language: data that config gives as
the default of `Settings.referrals` and search/regions.py chooses from."""

# Where to ask when the knowledge base has no answer, by region and language: public services
# only (the seeds name Wonen-Vlaanderen and Brussel Huisvesting; the others are the bodies
# citizens of each region are sent to). Overridable as settings.referrals; "" is the fallback.
DEFAULT_REFERRALS = {
    "flanders": {
        "nl": "Voor vragen over wonen in Vlaanderen kunt u terecht bij het woonloket of het OCMW van uw gemeente, of bij Wonen in Vlaanderen (www.wonenvlaanderen.be).",
        "fr": "Pour le logement en Flandre, adressez-vous au guichet du logement (woonloket) ou à l'OCMW (CPAS) de votre commune, ou à Wonen in Vlaanderen (www.wonenvlaanderen.be).",
        "en": "For housing in Flanders, ask the housing desk (woonloket) or the OCMW (public social welfare centre) of your municipality, or Wonen in Vlaanderen (www.wonenvlaanderen.be).",
    },
    "brussels": {
        "nl": "Voor vragen over wonen in Brussel kunt u terecht bij Brussel Huisvesting (huisvesting.brussels) of het OCMW van uw gemeente; bij een geschil met uw verhuurder bij de vrederechter.",
        "fr": "Pour le logement à Bruxelles, adressez-vous à Bruxelles Logement (logement.brussels) ou au CPAS de votre commune ; en cas de litige avec votre bailleur, au juge de paix.",
        "en": "For housing in Brussels, ask Brussels Housing (housing.brussels) or the CPAS/OCMW (public social welfare centre) of your municipality; for a dispute with your landlord, the justice of the peace.",
    },
    "netherlands": {
        "nl": "Voor vragen over wonen in Nederland kunt u terecht bij uw gemeente, het Juridisch Loket (www.juridischloket.nl), de Huurcommissie (www.huurcommissie.nl) of de Woonbond (www.woonbond.nl); algemene informatie staat op www.rijksoverheid.nl.",
        "fr": "Pour le logement aux Pays-Bas, adressez-vous à votre commune (gemeente), au Juridisch Loket (www.juridischloket.nl), à la Huurcommissie (www.huurcommissie.nl) ou à la Woonbond (www.woonbond.nl) ; informations générales sur www.rijksoverheid.nl.",
        "en": "For housing in the Netherlands, ask your municipality (gemeente), the Juridisch Loket (legal aid, www.juridischloket.nl), the Huurcommissie (rent tribunal, www.huurcommissie.nl) or the Woonbond (tenants' union, www.woonbond.nl); general information is on www.rijksoverheid.nl.",
    },
    "": {
        "nl": "Voor persoonlijke vragen over huren of wonen kunt u in België terecht bij de woondienst of het OCMW van uw gemeente, in Nederland bij uw gemeente of het Juridisch Loket (www.juridischloket.nl).",
        "fr": "Pour une question personnelle sur la location ou le logement, adressez-vous au service logement ou au CPAS de votre commune.",
        "en": "For a personal question about renting or housing, ask your municipality's housing service or, in Belgium, its public social welfare centre (OCMW/CPAS); in the Netherlands, the Juridisch Loket (www.juridischloket.nl).",
    },
}
