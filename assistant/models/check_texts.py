"""The texts both int8 engines are verified on against their fp32 model, on every build."""

from __future__ import annotations

# ~30 texts checked on every build: questions (query prompt), short sentences and ~800-character
# passages (passage prompt) in the product's three languages, with accents and apostrophes.
_CHECK_QUERIES = {
    "nl": [
        "Hoeveel mag de verhuurder vragen als huurwaarborg?",
        "Mag mijn huisbaas de huur verhogen tijdens het contract?",
        "Wie moet de herstellingen betalen in een huurwoning?",
        "Hoe lang is de opzegtermijn als ik mijn woning wil verlaten?",
    ],
    "fr": [
        "Combien de temps dure le préavis si je veux quitter mon logement ?",
        "Le propriétaire peut-il entrer chez moi sans prévenir ?",
        "Qui paie les grosses réparations dans un appartement loué ?",
        "Comment obtenir un logement social à Bruxelles ?",
    ],
    "en": [
        "Can my landlord raise the rent in the middle of the lease?",
        "How much can a landlord ask as a rental deposit?",
        "What happens to my lease if the building is sold?",
        "Where can I get help if my home is unfit to live in?",
    ],
}
_CHECK_SENTENCES = {
    "nl": [
        "De huurder geeft de woning bij het einde van de huur in goede staat terug.",
        "De gemeente haalt het huisvuil elke dinsdagochtend op.",
    ],
    "fr": [
        "Le propriétaire fait les grosses réparations, l'entretien courant revient au locataire.",
        "Le bail de résidence principale doit être établi par écrit.",
    ],
    "en": [
        "A social housing application must be renewed every year.",
        "The tenant must insure the home against fire and water damage.",
    ],
}
_CHECK_PASSAGES = {
    "nl": [
        "De huurwaarborg voor een woninghuur mag niet hoger zijn dan twee maanden huur wanneer "
        "hij op een geïndividualiseerde rekening op naam van de huurder wordt gezet. Kiest de "
        "huurder voor een bankwaarborg die hij geleidelijk samenstelt, dan kan die oplopen tot "
        "drie maanden huur. De interesten op de rekening komen de huurder toe. Bij het einde van "
        "de huur wordt de waarborg vrijgegeven na een tegensprekelijke plaatsbeschrijving van "
        "uittrede, of op basis van een akkoord tussen beide partijen. Weigert de verhuurder zonder "
        "reden de waarborg vrij te geven, dan kan de huurder naar de vrederechter stappen. De "
        "verhuurder mag de waarborg niet gebruiken om achterstallige huur van de laatste maanden "
        "te betalen zonder akkoord van de huurder.",
        "Een huurovereenkomst van negen jaar kan door de huurder op elk moment worden opgezegd "
        "met een opzegtermijn van drie maanden. Tijdens de eerste drie jaar is wel een "
        "opzegvergoeding verschuldigd: drie, twee of één maand huur, naargelang de huurder in het "
        "eerste, tweede of derde jaar vertrekt. De opzegging gebeurt met een aangetekende brief, "
        "een deurwaardersexploot of door afgifte van de opzeggingsbrief tegen ontvangstbewijs. "
        "De termijn begint te lopen op de eerste dag van de maand die volgt op de maand waarin "
        "de opzegging werd gegeven. Een verhuurder die de woning zelf wil betrekken, moet een "
        "opzegtermijn van zes maanden respecteren en de woning binnen het jaar effectief bewonen.",
        "Het project NETCO liep van mei 2022 tot april 2024 en wilde steden, lokale actoren en "
        "inwoners samenbrengen rond het model van collaborative housing. Bewoners delen daarbij "
        "bepaalde ruimtes, zoals een keuken, een wasplaats of een tuin, terwijl elk gezin een "
        "eigen woning behoudt. Het netwerk organiseerde bezoeken, werkgroepen en uitwisselingen "
        "tussen projecten uit verschillende Europese steden. Op middellange termijn moest het "
        "fora en kanalen creëren tussen initiatieven en overheden, om beleidsinstrumenten te "
        "ontwikkelen die zulke projecten vergemakkelijken: toegang tot grond, aangepaste "
        "stedenbouwkundige regels, financiering en begeleiding van bewonersgroepen die samen "
        "een woonproject willen opzetten.",
        "Een woning moet voldoen aan de elementaire vereisten van veiligheid, gezondheid en "
        "uitrusting. Dat betekent onder meer dat er geen vochtproblemen mogen zijn die de "
        "gezondheid bedreigen, dat de elektrische installatie veilig is en dat er voldoende "
        "natuurlijk licht en verluchting is. Voldoet de woning daar niet aan, dan kan de huurder "
        "de verhuurder eerst schriftelijk vragen om de gebreken te herstellen. Blijft dat zonder "
        "gevolg, dan kan hij een klacht indienen bij de gewestelijke inspectiedienst, die een "
        "onderzoek ter plaatse doet. De vrederechter kan de verhuurder verplichten de werken uit "
        "te voeren, de huur verminderen of de huurovereenkomst ontbinden. De huurder mag de huur "
        "niet zomaar zelf inhouden.",
    ],
    "fr": [
        "Le bail de résidence principale est conclu pour une durée de neuf ans. Le locataire "
        "peut y mettre fin à tout moment, moyennant un préavis de trois mois. Durant les trois "
        "premières années, il doit toutefois verser une indemnité équivalant à trois, deux ou "
        "un mois de loyer selon qu'il quitte le logement au cours de la première, de la deuxième "
        "ou de la troisième année. Le préavis prend cours le premier jour du mois qui suit celui "
        "durant lequel il a été donné. Le bailleur peut lui aussi mettre fin au bail dans certains "
        "cas, par exemple pour occuper personnellement le bien, moyennant un préavis de six mois, "
        "à condition que l'occupation soit effective dans l'année et dure au moins deux ans.",
        "La garantie locative ne peut dépasser deux mois de loyer lorsqu'elle est placée sur un "
        "compte individualisé ouvert au nom du locataire. Les intérêts produits sont capitalisés "
        "au profit de celui-ci. Le locataire peut aussi constituer la garantie de manière "
        "progressive auprès de sa banque, à concurrence de trois mois de loyer au maximum, ou "
        "recourir à une garantie fournie par le CPAS. À la fin du bail, la garantie est libérée "
        "sur production d'un accord écrit des deux parties ou d'une décision de justice. Un état "
        "des lieux de sortie, établi contradictoirement, permet de constater les éventuels dégâts "
        "locatifs qui peuvent être déduits du montant restitué au locataire.",
        "Le propriétaire est tenu d'entretenir le bien loué en état de servir à l'usage pour "
        "lequel il a été loué. Les grosses réparations, comme la toiture, les murs porteurs, la "
        "chaudière usée par le temps ou les canalisations encastrées, sont à sa charge. Le "
        "locataire assume les réparations locatives et l'entretien courant : le détartrage de la "
        "chaudière, le remplacement des joints, le ramonage des cheminées, l'entretien du jardin "
        "et la réparation des dégâts qu'il a lui-même causés. Aucune clause du bail ne peut mettre "
        "à charge du locataire les réparations dues à la vétusté, à un vice du bâtiment ou à un "
        "cas "
        "de force majeure. En cas de désaccord, le juge de paix tranche le litige.",
        "Pour obtenir un logement social en Région de Bruxelles-Capitale, il faut introduire une "
        "demande d'inscription auprès d'une société immobilière de service public. Les revenus du "
        "ménage ne peuvent dépasser un plafond fixé chaque année, et aucun membre du ménage ne "
        "peut être propriétaire d'un bien immobilier. La demande reçoit un numéro d'ordre et doit "
        "être renouvelée chaque année, faute de quoi elle est radiée. Des points de priorité sont "
        "accordés selon la situation du ménage, par exemple en cas d'insalubrité du logement "
        "actuel ou de handicap. Le loyer d'un logement social est calculé en fonction des revenus "
        "du ménage et de la valeur du bien, ce qui le rend souvent bien inférieur au marché.",
    ],
    "en": [
        "A residential lease for a main residence normally runs for nine years. The tenant may "
        "end it at any time by giving three months' notice, but during the first three years a "
        "compensation of three, two or one month's rent is due, depending on the year in which "
        "the tenant leaves. Notice is given by registered letter, by bailiff's writ or by handing "
        "over a letter against a receipt. It starts on the first day of the month following the "
        "month in which it was given. The landlord can also end the lease in specific cases, for "
        "instance to live in the property, with six months' notice, provided the landlord or a "
        "close relative actually moves in within a year and stays there for at least two years.",
        "The rent can only be indexed once a year, on the anniversary of the lease, and only if "
        "the lease is in writing. The new rent is calculated with the health index: the base rent "
        "is multiplied by the index of the month before the anniversary and divided by the index "
        "of the month before the lease was signed. Indexation is not automatic: the landlord must "
        "ask for it in writing, and may recover at most the three months before the request. "
        "Apart from indexation, the rent can be revised at the end of each three-year period if "
        "both parties agree, or by the justice of the peace when the rental value has risen by at "
        "least twenty percent because of new circumstances or works carried out by the landlord.",
        "When a rented home is sold, the lease does not end. If the lease was registered, or "
        "had a fixed date before the sale, the buyer steps into the rights and obligations of "
        "the former landlord and must respect the remaining term. The buyer may still end the "
        "lease under the same conditions as the former landlord, for example to move in, with six "
        "months' notice. If the lease was not registered and the tenant has lived in the home for "
        "less than six months, the buyer can end it without notice period or compensation. This is "
        "one of the reasons why registering the lease, which is free of charge, protects tenants. "
        "The deposit follows the lease and remains available to the tenant when it ends.",
        "If your home is damp, unsafe or lacks basic equipment, start by writing to your landlord "
        "and keep a copy of the letter with photos of the defects. Many municipalities and tenant "
        "unions offer free advice and can help you draft the letter. If nothing is done, you can "
        "file a complaint with the regional housing inspection, which visits the property and can "
        "order repairs, impose fines or declare the home unfit for habitation. The justice of the "
        "peace can also reduce the rent, order the works or dissolve the lease. Do not stop paying "
        "rent on your own initiative: this can give the landlord grounds to end the lease. Social "
        "services can help you find temporary housing if the home has to be left.",
    ],
}


def check_texts() -> list[dict[str, str]]:
    """The verification texts of both int8 engines (NL/FR/EN queries, sentences, passages)."""
    texts = []
    for prompt, groups in (
        ("query", _CHECK_QUERIES),
        ("passage", _CHECK_SENTENCES),
        ("passage", _CHECK_PASSAGES),
    ):
        for lang, items in groups.items():
            texts += [{"lang": lang, "prompt": prompt, "text": text} for text in items]
    return texts
