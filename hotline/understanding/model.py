"""placeholder"""
def service_model():
    return None
