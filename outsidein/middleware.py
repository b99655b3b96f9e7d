class DutchFirstMiddleware:
    """Ignore the browser's Accept-Language: the interface is Dutch unless the user picks
    English with the language switch (a cookie), whatever language their browser has."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)
