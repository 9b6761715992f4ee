"""Hand-written phrases for the project's Korea-policy training examples (see ``synthetic``).

Written for this project; no third-party text. ``{kp}`` is replaced by a way of naming North Korea as an
object. Per topic: ``support``/``oppose``/``neutral`` verb phrases (past tense, after a subject), optional
``*_kp`` variants when North Korea itself is the subject, and ``noun`` phrases for "A condemned B's <noun>",
which state that B supports the topic. The last entry of each verb-phrase list is held out for calibration.
"""

from __future__ import annotations

from core.vocabulary import shipped_vocabulary

# Other ways of naming each country as a sentence's subject; its name (first in ``ALIASES``) comes from the
# one vocabulary (core/countries.yaml), like its code.
OTHER_SUBJECTS: dict[str, list[str]] = {
    "US": [
        "the US",
        "the U.S.",
        "Washington",
        "the White House",
        "President Trump",
        "Donald Trump",
        "Secretary of State Rex Tillerson",
        "the State Department",
        "the Pentagon",
        "Mike Pompeo",
        "President Biden",
        "American officials",
        "the Trump administration",
        "Nikki Haley",
    ],
    "RU": [
        "Moscow",
        "the Kremlin",
        "Vladimir Putin",
        "President Putin",
        "Foreign Minister Sergei Lavrov",
        "Sergei Lavrov",
        "Russian diplomats",
        "the Russian foreign ministry",
        "Russia's UN envoy",
        "Kremlin spokesman Dmitry Peskov",
    ],
    "CN": [
        "Beijing",
        "Xi Jinping",
        "President Xi",
        "Foreign Minister Wang Yi",
        "Wang Yi",
        "China's foreign ministry",
        "Chinese officials",
        "Xinhua",
        "the Chinese government",
        "China's UN ambassador",
    ],
    "KR": [
        "Seoul",
        "the Blue House",
        "President Moon Jae-in",
        "Moon Jae-in",
        "Yoon Suk Yeol",
        "President Lee Jae-myung",
        "South Korean officials",
        "Seoul's unification ministry",
        "the South Korean government",
        "South Korea's defense ministry",
    ],
    "KP": [
        "Pyongyang",
        "Kim Jong Un",
        "North Korean leader Kim Jong Un",
        "KCNA",
        "North Korean state media",
        "the North Korean regime",
        "Kim Yo Jong",
        "the DPRK",
        "North Korea's foreign ministry",
        "the Rodong Sinmun",
    ],
    "JP": [
        "Tokyo",
        "Prime Minister Shinzo Abe",
        "Shinzo Abe",
        "Japanese officials",
        "Japan's foreign ministry",
        "the Japanese government",
        "Fumio Kishida",
        "Chief Cabinet Secretary",
    ],
}
ALIASES: dict[str, list[str]] = {
    code: [name, *OTHER_SUBJECTS[code]] for code, name in shipped_vocabulary().country_names.items()
}

POSS: dict[str, list[str]] = {
    "US": ["Washington's", "the US", "the Trump administration's", "America's", "the American"],
    "RU": ["Moscow's", "Russia's", "the Kremlin's", "the Russian"],
    "CN": ["Beijing's", "China's", "the Chinese"],
    "KR": ["Seoul's", "South Korea's", "the Moon government's", "the South Korean"],
    "KP": ["Pyongyang's", "North Korea's", "the North Korean"],
    "JP": ["Tokyo's", "Japan's", "the Abe government's", "the Japanese"],
}

KP_OBJ = ["North Korea", "Pyongyang", "the North", "the DPRK", "the Kim regime", "North Korea"]

CONDEMN = ["condemned", "criticised", "criticized", "denounced", "protested against", "slammed", "rejected"]
WELCOME = ["welcomed", "praised", "endorsed", "backed", "applauded"]

FRAMES = [
    "{subj} {vp}.",
    "{subj} {vp}.",
    "On Tuesday, {subj} {vp}.",
    "{subj} {vp}, according to a statement.",
    "{subj} {vp}, a spokesperson said.",
    "In a statement, {subj} {vp}.",
    "After the latest missile launch, {subj} {vp}.",
    "{subj} {vp} at the United Nations on Friday.",
    "Speaking to reporters, {subj} {vp}.",
    "{subj} once again {vp}.",
]

IRRELEVANT = [
    "reported stronger economic growth in the second quarter",
    "hosted the foreign minister of Brazil for talks on trade",
    "announced a new high-speed rail line",
    "said the missile flew about 900 kilometres before falling into the sea",
    "sent condolences after the earthquake",
    "celebrated the national football team's victory",
    "named a new ambassador to Canada",
    "raised interest rates by a quarter point",
    "opened a new consulate in the port city",
    "released figures on tourism last year",
]

QUOTE_FRAMES = [
    '"{q}," {subj} said.',
    '{subj} said: "{q}."',
    '"{q}," {subj} told reporters on Monday.',
    '{subj} said in a statement that "{q}."',
]

# First-person quotes per topic and side (the last of each list is held out, as for the verb phrases).
QUOTES: dict[str, dict[str, list[str]]] = {
    "sanctions": {
        "support": [
            "The sanctions must be fully enforced until Pyongyang changes course",
            "We need stronger economic pressure on the North",
            "Every loophole in the sanctions must be closed",
            "The pressure campaign has to continue",
        ],
        "oppose": [
            "Sanctions are a dead end and should be eased",
            "More sanctions will only hurt ordinary people",
            "We do not support any further sanctions",
            "It is time to start lifting the sanctions",
        ],
    },
    "thaad": {
        "support": [
            "The THAAD battery is a defensive necessity",
            "THAAD will stay to protect our people",
            "We will complete the THAAD deployment",
        ],
        "oppose": [
            "THAAD must go",
            "The THAAD deployment undermines our security",
            "We firmly oppose the deployment of THAAD",
        ],
    },
    "military_exercises": {
        "support": [
            "The joint drills are vital to our readiness",
            "The exercises will go ahead as scheduled",
            "We will keep training together with our ally",
        ],
        "oppose": [
            "The war games must stop",
            "These drills are a dangerous provocation",
            "The joint exercises should be suspended",
        ],
    },
    "inter_korean_dialogue": {
        "support": [
            "The two Koreas must talk to each other",
            "We are ready to sit down with the North",
            "Dialogue between North and South is the only way to peace",
        ],
        "oppose": [
            "There is nothing to talk about with the South",
            "Inter-Korean talks are off the table",
            "We will not engage with Seoul",
        ],
    },
    "us_dprk_diplomacy": {
        "support": [
            "I would be honored to meet Kim Jong Un",
            "Washington and Pyongyang should talk directly",
            "A summit between the US and North Korea would be a good step",
        ],
        "oppose": [
            "Talking to Pyongyang is a waste of time",
            "There will be no summit with the North Korean leader",
            "We see no reason to negotiate with the Americans",
        ],
    },
    "six_party_talks": {
        "support": [
            "The Six-Party Talks remain the right framework",
            "All six parties should return to the table",
        ],
        "oppose": ["The six-party process is finished", "We will not go back to the Six-Party Talks"],
    },
    "military_strike": {
        "support": [
            "All options are on the table, including a military one",
            "We are prepared to use force if necessary",
            "A preventive strike cannot be ruled out",
        ],
        "oppose": [
            "There is no military solution",
            "A war on the peninsula must never happen",
            "Military action would be a disaster for everyone",
        ],
    },
    "denuclearization": {
        "support": [
            "The goal remains the complete denuclearization of the peninsula",
            "North Korea must abandon its nuclear weapons",
            "We will never accept a nuclear-armed North Korea",
        ],
        "oppose": [
            "Our nuclear deterrent is not up for negotiation",
            "We will never give up our nuclear weapons",
            "Denuclearization is simply off the table",
        ],
    },
    "support_for_dprk": {
        "support": [
            "We will always stand with our friends in Pyongyang",
            "Our cooperation with the North will grow",
            "We will keep sending aid to the North Korean people",
        ],
        "oppose": [
            "We have stopped all trade with the North",
            "We will not help Pyongyang",
            "Our support for the North has come to an end",
        ],
    },
}

TOPICS: dict[str, dict[str, list[str]]] = {
    "sanctions": {
        "support": [
            "called for tougher sanctions on {kp}",
            "backed a new UN Security Council resolution tightening sanctions on {kp}",
            "urged all countries to fully enforce the sanctions against {kp}",
            "insisted that the sanctions on {kp} stay in place until it abandons its weapons",
            "pushed for a cap on oil shipments to {kp}",
            "vowed to keep up maximum pressure on {kp} through sanctions",
            "announced fresh sanctions targeting banks that deal with {kp}",
            "said the sanctions on {kp} should be strengthened",
            "voted in favour of new sanctions on {kp}",
        ],
        "oppose": [
            "called for the sanctions on {kp} to be eased",
            "said further sanctions against {kp} would be counterproductive",
            "opposed any new sanctions on {kp}",
            "blocked a proposal to expand the sanctions on {kp}",
            "argued that {kp} should be offered sanctions relief",
            "said sanctions would never solve the problem and should be lifted",
            "refused to back tighter sanctions on {kp}",
            "urged the Security Council to lift some of the sanctions on {kp}",
        ],
        "oppose_kp": [
            "denounced the sanctions as an act of economic warfare",
            "demanded that the sanctions imposed on it be lifted",
            "called the UN sanctions illegal and said it would never accept them",
            "said the sanctions were a hostile act that must be scrapped",
            "rejected the new sanctions resolution as a violation of its sovereignty",
        ],
        "neutral": [
            "said it was studying the new sanctions resolution",
            "declined to say whether the sanctions on {kp} were working",
            "will discuss the sanctions at next week's meeting",
            "has not decided whether to back more sanctions on {kp}",
            "said it had received a report on the enforcement of the sanctions",
        ],
        "noun": [
            "push for tougher sanctions on {kp}",
            "call for new sanctions",
            "sanctions resolution",
            "plan to tighten sanctions on {kp}",
        ],
    },
    "thaad": {
        "support": [
            "defended the deployment of the THAAD missile defense system in South Korea",
            "said the THAAD battery would stay in place",
            "agreed to speed up the deployment of THAAD",
            "called THAAD a necessary defensive measure against the North's missiles",
            "welcomed the arrival of the THAAD launchers",
            "said the anti-missile system was needed to protect South Korea",
            "insisted the THAAD system was purely defensive and must remain",
        ],
        "oppose": [
            "demanded that the THAAD system be withdrawn from South Korea",
            "said the THAAD deployment threatened regional security",
            "protested against the THAAD missile defense system",
            "urged a halt to the deployment of THAAD",
            "called for the THAAD battery to be removed",
            "vowed to take countermeasures against the THAAD deployment",
            "said the US missile shield in South Korea harmed its strategic interests",
        ],
        "neutral": [
            "said it would review the environmental assessment of the THAAD site",
            "discussed the THAAD issue at the meeting",
            "declined to comment on the THAAD deployment",
            "said the THAAD question would be handled through consultations",
        ],
        "noun": [
            "deployment of the THAAD system",
            "decision to install THAAD",
            "THAAD deployment",
            "anti-missile system",
        ],
    },
    "military_exercises": {
        "support": [
            "said the joint US-South Korean military drills would go ahead as planned",
            "called the annual joint exercises essential to deterrence",
            "vowed to continue the combined military exercises on the peninsula",
            "rejected calls to scale back the joint war games",
            "defended the Foal Eagle exercises as routine and defensive",
            "announced larger joint drills with the allies next spring",
            "said the allied exercises would be expanded",
        ],
        "oppose": [
            "demanded a halt to the joint US-South Korean military exercises",
            "called the joint war games a rehearsal for invasion",
            "urged Washington and Seoul to suspend their joint drills",
            "proposed that the allies freeze their military exercises",
            "agreed to suspend the large-scale joint exercises",
            "condemned the joint drills as provocative",
            "said the war games should be scaled down to ease tensions",
        ],
        "neutral": [
            "said the joint drills would start next month",
            "released the schedule of the joint military exercises",
            "said it was monitoring the joint exercises closely",
            "noted that the exercises involved about 20,000 troops",
        ],
        "noun": [
            "joint military exercises",
            "war games with Seoul",
            "plan to hold joint drills",
            "decision to expand the joint exercises",
        ],
    },
    "inter_korean_dialogue": {
        "support": [
            "called for talks between the two Koreas",
            "welcomed the resumption of inter-Korean dialogue",
            "proposed talks between North and South Korea",
            "said it supported reconciliation between the North and the South",
            "offered to reopen the inter-Korean hotline",
            "urged the two Koreas to improve relations through dialogue",
            "backed plans for a new inter-Korean summit",
        ],
        "oppose": [
            "ruled out any talks between the two Koreas",
            "said there would be no inter-Korean dialogue",
            "cut the inter-Korean hotline",
            "dismissed calls for reconciliation between the two Koreas",
            "called inter-Korean engagement a waste of time",
            "shut down the joint liaison office between the two Koreas",
            "said dialogue between Seoul and Pyongyang was pointless",
        ],
        "neutral": [
            "said the inter-Korean talks had been postponed",
            "commented on the schedule of the inter-Korean meeting",
            "noted that the two Koreas had held talks last year",
            "said the inter-Korean agenda was still being drafted",
        ],
        "noun": [
            "offer of talks between the two Koreas",
            "push for inter-Korean dialogue",
            "engagement policy toward the North",
            "proposal for an inter-Korean summit",
        ],
    },
    "us_dprk_diplomacy": {
        "support": [
            "said it was open to direct talks between Washington and Pyongyang",
            "welcomed the summit between the US president and Kim Jong Un",
            "called for direct negotiations between the United States and North Korea",
            "urged Washington to sit down with Pyongyang",
            "said diplomacy between the US and {kp} was the only way forward",
            "sent an envoy to prepare a second US-North Korea summit",
            "backed a meeting between the American and North Korean leaders",
        ],
        "oppose": [
            "ruled out talks between Washington and Pyongyang",
            "said negotiating with Kim Jong Un would be a waste of time",
            "called off the planned summit between the US and North Korean leaders",
            "dismissed the idea of a US-North Korea summit",
            "said there was nothing to discuss between Washington and Pyongyang",
            "warned that talks between the US and {kp} would only reward bad behaviour",
        ],
        "neutral": [
            "said no date had been set for US-North Korea talks",
            "commented on reports of a possible US-North Korea summit",
            "said the envoy's visit was still being planned",
            "said the venue of the summit had not been chosen",
        ],
        "noun": [
            "offer of direct talks with Pyongyang",
            "summit with Kim Jong Un",
            "diplomatic outreach to Pyongyang",
            "plan for a US-North Korea summit",
        ],
    },
    "six_party_talks": {
        "support": [
            "called for the resumption of the Six-Party Talks",
            "said the six-party framework remained the best way to resolve the nuclear issue",
            "urged all sides to return to the Six-Party Talks",
            "proposed reviving the multilateral six-party negotiations",
            "said the Six-Party Talks should be restarted without delay",
        ],
        "oppose": [
            "said the Six-Party Talks were dead",
            "rejected a return to the six-party process",
            "declared it would never rejoin the Six-Party Talks",
            "dismissed the six-party format as a failure",
            "said reviving the Six-Party Talks made no sense",
        ],
        "neutral": [
            "recalled that the Six-Party Talks had stalled in 2008",
            "mentioned the Six-Party Talks in its statement",
            "said the former six-party negotiators met last week",
            "noted the history of the six-party process",
        ],
        "noun": ["proposal to revive the Six-Party Talks", "call for six-party negotiations"],
    },
    "military_strike": {
        "support": [
            "warned that a military strike on {kp} remained an option",
            "threatened to unleash fire and fury on {kp}",
            "said all options, including military action, were on the table",
            "called for a preemptive strike on the North's nuclear sites",
            "said it was ready to use force against {kp}",
            "threatened to totally destroy {kp}",
            "said a military option against {kp} was being prepared",
        ],
        "oppose": [
            "warned against any military action on the Korean peninsula",
            "said war on the peninsula must be avoided at all costs",
            "opposed a preemptive strike on {kp}",
            "said there could be no military solution to the crisis",
            "ruled out the use of force against {kp}",
            "urged restraint and rejected the military option",
            "said an attack on {kp} would be a catastrophe",
        ],
        "support_kp": [
            "threatened to strike US bases in the region",
            "warned it would launch a preemptive attack",
        ],
        "oppose_kp": [
            "warned that any attack on it would be met with force",
            "accused Washington of plotting a war against it",
        ],
        "neutral": [
            "discussed military contingency plans at the meeting",
            "said it had no information about a planned strike",
            "was asked about the possibility of a military strike",
            "said the military options had been reviewed",
        ],
        "noun": [
            "threat of military action against {kp}",
            "talk of a preemptive strike",
            "military threats against {kp}",
        ],
    },
    "denuclearization": {
        "support": [
            "demanded the complete denuclearization of {kp}",
            "said {kp} must give up its nuclear weapons",
            "reaffirmed its commitment to a nuclear-free Korean peninsula",
            "called for the verifiable dismantlement of the North's nuclear program",
            "insisted that denuclearization remained the goal",
            "said the North's nuclear programme must be eliminated",
        ],
        "oppose": [
            "said demanding the North's denuclearization was unrealistic",
            "dropped the demand that {kp} give up its nuclear weapons",
            "accepted {kp} as a nuclear power",
            "said {kp} should be allowed to keep its nuclear arsenal",
        ],
        "support_kp": [
            "said it was ready to dismantle its nuclear program",
            "pledged to work toward complete denuclearization",
        ],
        "oppose_kp": [
            "said it would never give up its nuclear weapons",
            "declared its nuclear status irreversible",
            "rejected demands for denuclearization",
            "vowed to expand its nuclear arsenal",
            "said its nuclear weapons were not a bargaining chip",
        ],
        "neutral": [
            "said the denuclearization talks would continue next week",
            "discussed denuclearization with its counterparts",
            "noted the report on the North's nuclear program",
            "said the nuclear negotiations had not yet produced a schedule",
        ],
        "noun": ["demand for denuclearization", "call for a nuclear-free peninsula"],
    },
    "support_for_dprk": {
        "support": [
            "pledged to strengthen its friendship and cooperation with {kp}",
            "sent food aid and fuel to {kp}",
            "signed a new economic cooperation agreement with {kp}",
            "described {kp} as a close ally",
            "vowed to stand by {kp}",
            "expanded trade with {kp}",
            "offered military assistance to {kp}",
            "promised to remain a lifeline for {kp}",
        ],
        "oppose": [
            "cut off trade with {kp}",
            "refused to provide aid to {kp}",
            "suspended its economic cooperation with {kp}",
            "said it would not defend {kp} if it started a war",
            "scaled back its ties with {kp}",
            "closed its border to North Korean goods",
            "expelled North Korean workers and ended joint ventures with {kp}",
        ],
        "neutral": [
            "said its relations with {kp} were normal",
            "hosted a North Korean delegation for routine consultations",
            "commented on its trade figures with {kp}",
            "said its treaty with {kp} was under review",
        ],
        "noun": ["aid to Pyongyang", "economic lifeline to the North", "backing of the North Korean regime"],
    },
}
