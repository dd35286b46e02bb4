"""What a member's post body may contain."""

# The rich text features offered to members and kept by the sanitiser: nothing outside this
# list survives, whichever editor (or script) produced the HTML. Fixed, not a setting, because
# the page model's field (and so the admin's editor) is defined with it when models load.
BODY_FEATURES = ["h2", "h3", "bold", "italic", "ol", "ul", "blockquote", "link", "image"]
