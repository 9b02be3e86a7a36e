"""The wording Waypoint ships with, taken word for word from the two practice guides in
shared/source-texts (SOAR "Create and Maintain Safety"; "Trauma-Informed Crisis Response and
Safety Planning").  Spanish is our translation.  Loaded as version 1 of each content set; an
organisation's changes become later versions, and answers keep the version they were asked in."""

from __future__ import annotations

IN_PERSON = "in_person_check"
PHONE = "phone_check"
SCRIPTS = "scripts"

# (key, English, Spanish)
CONTENT: dict[str, list[tuple[str, str, str]]] = {
    IN_PERSON: [
        (
            "danger_here",
            "Do you feel like you are in any kind of danger while speaking with me at this location?",
            "¿Siente que corre algún tipo de peligro mientras habla conmigo en este lugar?",
        ),
        (
            "feel_safer",
            "Is there anything that would help you to feel safer while we talk?",
            "¿Hay algo que le ayudaría a sentirse más seguro o segura mientras hablamos?",
        ),
        (
            "take_resources",
            "Are you able to take any resources with you when you leave here?",
            "¿Puede llevarse algún recurso cuando se vaya de aquí?",
        ),
        (
            "contact_after",
            "Is it safe to contact you after today? If so, what is the best way to reach you? If over the phone, "
            "can I leave a voicemail? If I can contact you, how would you like me to identify myself?",
            "¿Es seguro comunicarnos con usted después de hoy? Si es así, ¿cuál es la mejor manera de hacerlo? "
            "Si es por teléfono, ¿puedo dejarle un mensaje de voz? Si puedo comunicarme con usted, ¿cómo quiere "
            "que me identifique?",
        ),
    ],
    PHONE: [
        (
            "safe_to_talk",
            "Is it safe for you to speak with me right now?",
            "¿Es seguro para usted hablar conmigo ahora mismo?",
        ),
        (
            "disconnection",
            "How can we communicate if we get disconnected? Would I be able to call you back or leave a message?",
            "¿Cómo podemos comunicarnos si se corta la llamada? ¿Podría devolverle la llamada o dejarle un mensaje?",
        ),
        (
            "someone_on_line",
            "If someone comes on the line, what would you like for me to do? Hang up? Identify myself as someone "
            "else, such as a certain person or friend?",
            "Si otra persona toma el teléfono, ¿qué quiere que haga? ¿Colgar? ¿Presentarme como otra persona, por "
            "ejemplo alguien en particular o una amistad?",
        ),
        (
            "where_are_you",
            "Are you in a safe place? Can you tell me where you are? Would you prefer to call me back when you are "
            "in a safe place?",
            "¿Está en un lugar seguro? ¿Puede decirme dónde está? ¿Prefiere llamarme de nuevo cuando esté en un "
            "lugar seguro?",
        ),
        (
            "write_down",
            "Is it safe for you to write down any resources that could help you?",
            "¿Es seguro para usted anotar algunos recursos que podrían ayudarle?",
        ),
        (
            "injured",
            "Are you injured? Would you like for me to call 911 or an ambulance?",
            "¿Está herido o herida? ¿Quiere que llame al 911 o a una ambulancia?",
        ),
    ],
    SCRIPTS: [
        (
            "phone_reminder",
            "You are free to hang up at any point during our conversation if you think someone is listening in or "
            "you are in danger.",
            "Puede colgar en cualquier momento de nuestra conversación si cree que alguien está escuchando o si "
            "está en peligro.",
        ),
        (
            "confidentiality",
            "Before we talk, I want to explain how I keep what you tell me private. What you share stays with me "
            "and the team that helps you, and you decide what I write down. There are limits: if I learn that a "
            "child is being harmed, or that someone is in danger right now, I may have to report it. If that "
            "happens, I will tell you first whenever I can. You can skip any question or stop at any time.",
            "Antes de hablar, quiero explicarle cómo mantengo en privado lo que me cuente. Lo que comparta queda "
            "entre usted, yo y el equipo que le ayuda, y usted decide qué escribo. Hay límites: si me entero de que "
            "se está haciendo daño a un niño o una niña, o de que alguien está en peligro ahora mismo, es posible "
            "que tenga que informarlo. Si eso pasa, se lo diré antes siempre que pueda. Puede saltarse cualquier "
            "pregunta o parar en cualquier momento.",
        ),
        (
            "concern",
            "I am concerned for your safety and well-being. I can connect you with services that are confidential "
            "and can help.",
            "Me preocupan su seguridad y su bienestar. Puedo ponerle en contacto con servicios confidenciales que "
            "pueden ayudarle.",
        ),
        (
            "check_in",
            "How are you doing? Is it still safe to keep talking? Remember: if you need to stop, just say so, and I "
            "will close this screen right away.",
            "¿Cómo está? ¿Sigue siendo seguro seguir hablando? Recuerde: si necesita parar, solo dígalo y cerraré "
            "esta pantalla de inmediato.",
        ),
        (
            "cover_closing",
            "Sorry, I think I have the wrong number. Have a good day.",
            "Disculpe, creo que me equivoqué de número. Que tenga un buen día.",
        ),
        (
            "grounding",
            "Let's take a moment. Look around and name five things you can see, four you can touch, three you can "
            "hear, two you can smell and one you can taste.",
            "Tomemos un momento. Mire a su alrededor y nombre cinco cosas que puede ver, cuatro que puede tocar, "
            "tres que puede oír, dos que puede oler y una que puede saborear.",
        ),
        (
            "self_soothing",
            "Let's breathe together. Breathe in slowly for four counts, hold for four, and breathe out for six. We "
            "can do this as many times as you like.",
            "Respiremos juntos. Inhale despacio contando hasta cuatro, sostenga cuatro y exhale contando hasta seis. "
            "Podemos hacerlo las veces que quiera.",
        ),
    ],
}
